package certissuer

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Material is what the operator keeps for one collector's mTLS: the CA that signs, possibly a staged successor
// and a retired predecessor, and the two leaves. The zero value is "nothing issued yet".
type Material struct {
	// CA signs the leaves.
	CA KeyPair
	// NextCA is a successor that is already trusted but does not sign yet (zero when no rotation is under way).
	NextCA KeyPair
	// PreviousCA is the certificate of the CA that signed before the last rotation, trusted until it expires so
	// a peer still holding a leaf from it is not refused before it reloads.
	PreviousCA []byte
	// Server is the target allocator's certificate, Client the collectors'.
	Server, Client KeyPair
}

// TrustBundle is the PEM of every CA a peer must accept: the signing CA, the staged one and the retired one.
func (m Material) TrustBundle() []byte {
	var b bytes.Buffer
	for _, c := range [][]byte{m.CA.CertPEM, m.NextCA.CertPEM, m.PreviousCA} {
		if len(c) > 0 {
			b.Write(bytes.TrimSpace(c))
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Policy are the lifetimes the planner issues with.
type Policy struct {
	CALifetime, LeafLifetime time.Duration
	// Stage is how long a successor CA is trusted before it signs: long enough for every pod to hold the new
	// trust bundle (kubelet updates a Secret volume within about a minute and the target allocator re-reads its CA
	// every 10 s; a peer that reads its CA only at start must be restarted by the caller when the bundle changes).
	Stage time.Duration
}

// DefaultPolicy: a CA for a year, leaves for a week, a week of staging. The collector reads its CA file only at
// start, so every collector pod must have restarted on the new bundle (the operator rolls them when the successor
// joins) before the successor signs; a week covers slow rollouts (large StatefulSets, PDBs, a held workload) and
// still leaves the old CA four months.
var DefaultPolicy = Policy{CALifetime: DefaultCALifetime, LeafLifetime: DefaultLeafLifetime, Stage: 7 * 24 * time.Hour}

// Subject names the certificates: the target allocator's DNS names and the collectors' common name.
type Subject struct {
	CAName     string
	ServerDNS  []string
	ClientName string
}

// Plan returns the material that should be stored at now, given what is stored (anything missing, unparseable,
// planted or due for renewal is replaced; everything else is returned byte for byte, so a plan of a plan changes
// nothing), and when the next plan is due. A leaf is kept only if the signing CA verifies it, so leaves from a
// retired CA or from anyone else are reissued.
//
// A CA is rotated without a moment in which a peer lacks the CA of the certificate it is shown: when it has a third
// of its life left a successor is added to the trust bundle; after p.Stage the successor signs new leaves, and the
// old CA stays in the bundle until it expires.
func Plan(stored Material, sub Subject, now time.Time, p Policy) (Material, time.Time, error) {
	if len(sub.ServerDNS) == 0 {
		return Material{}, time.Time{}, errors.New("no DNS name for the server certificate")
	}
	m := stored
	switch {
	case validCA(m.CA, now):
	case validCA(m.NextCA, now):
		// The signing CA expired while a successor was staged (the operator was down): the successor signs.
		m.CA, m.NextCA, m.PreviousCA = m.NextCA, KeyPair{}, nil
	default:
		ca, err := NewCA(sub.CAName, now, p.CALifetime)
		if err != nil {
			return Material{}, time.Time{}, err
		}
		m = Material{CA: ca}
	}
	if len(m.NextCA.CertPEM) > 0 || len(m.NextCA.KeyPEM) > 0 {
		if !validCA(m.NextCA, now) {
			m.NextCA = KeyPair{}
		} else if next, _ := parseCert(m.NextCA.CertPEM); !now.Before(promoteAt(next, p)) {
			m.PreviousCA, m.CA, m.NextCA = m.CA.CertPEM, m.NextCA, KeyPair{}
		}
	}
	if len(m.PreviousCA) > 0 {
		if prev, err := parseCert(m.PreviousCA); err != nil || !prev.IsCA || !now.Before(prev.NotAfter) {
			m.PreviousCA = nil
		}
	}
	if len(m.NextCA.CertPEM) == 0 && NeedsRenewal(m.CA.CertPEM, now) {
		next, err := NewCA(sub.CAName, now, p.CALifetime)
		if err != nil {
			return Material{}, time.Time{}, err
		}
		m.NextCA = next
	}
	var err error
	if !validLeaf(m.Server, m.CA, x509.ExtKeyUsageServerAuth, sub.ServerDNS, now) {
		if m.Server, err = IssueServer(m.CA, sub.ServerDNS, now, p.LeafLifetime); err != nil {
			return Material{}, time.Time{}, fmt.Errorf("issuing the server certificate: %w", err)
		}
	}
	if !validLeaf(m.Client, m.CA, x509.ExtKeyUsageClientAuth, nil, now) {
		if m.Client, err = IssueClient(m.CA, sub.ClientName, now, p.LeafLifetime); err != nil {
			return Material{}, time.Time{}, fmt.Errorf("issuing the client certificate: %w", err)
		}
	}
	return m, nextPlan(m, p), nil
}

// validCA tells whether kp is a CA pair that can sign at now.
func validCA(kp KeyPair, now time.Time) bool {
	cert, _, err := Parse(kp)
	return err == nil && cert.IsCA && !now.Before(cert.NotBefore) && now.Before(cert.NotAfter)
}

// validLeaf tells whether kp is a pair signed by ca for usage (and every DNS name), not due for renewal.
func validLeaf(kp, ca KeyPair, usage x509.ExtKeyUsage, dnsNames []string, now time.Time) bool {
	if NeedsRenewal(kp.CertPEM, now) {
		return false
	}
	if len(dnsNames) == 0 {
		return Verify(kp, ca.CertPEM, usage, "", now) == nil
	}
	for _, n := range dnsNames {
		if Verify(kp, ca.CertPEM, usage, n, now) != nil {
			return false
		}
	}
	return true
}

// promoteAt is when a staged CA starts signing.
func promoteAt(next *x509.Certificate, p Policy) time.Time {
	return next.NotBefore.Add(clockSkew + p.Stage)
}

// renewAt is when NeedsRenewal turns true for cert.
func renewAt(cert *x509.Certificate) time.Time {
	lifetime := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotAfter.Add(-lifetime / 3)
}

// nextPlan is the earliest moment at which Plan would change m: a leaf or the CA due for renewal, a staged CA due
// to sign, the retired CA expiring.
func nextPlan(m Material, p Policy) time.Time {
	var at time.Time
	earliest := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	for _, c := range [][]byte{m.Server.CertPEM, m.Client.CertPEM} {
		if cert, err := parseCert(c); err == nil {
			earliest(renewAt(cert))
		}
	}
	if next, err := parseCert(m.NextCA.CertPEM); err == nil {
		earliest(promoteAt(next, p))
	} else if ca, err := parseCert(m.CA.CertPEM); err == nil {
		earliest(renewAt(ca))
	}
	if prev, err := parseCert(m.PreviousCA); err == nil {
		earliest(prev.NotAfter)
	}
	return at
}
