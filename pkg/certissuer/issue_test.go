package certissuer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

type issued struct {
	ca, server, client KeyPair
}

func mustIssue(t *testing.T, now time.Time) issued {
	t.Helper()
	ca, err := NewCA("obs/metrics target allocator CA", now, DefaultCALifetime)
	if err != nil {
		t.Fatal(err)
	}
	server, err := IssueServer(ca, []string{"metrics-targetallocator", "metrics-targetallocator.obs.svc"}, now, DefaultLeafLifetime)
	if err != nil {
		t.Fatal(err)
	}
	client, err := IssueClient(ca, "metrics-collector", now, DefaultLeafLifetime)
	if err != nil {
		t.Fatal(err)
	}
	return issued{ca, server, client}
}

// handshake runs a real TLS 1.2+ handshake between a server as the target allocator configures its mTLS listener
// (client certificates required and verified against serverCAs) and a client as the collector configures its
// target_allocator block, and returns the server's and the client's errors.
func handshake(t *testing.T, server KeyPair, serverCAs []byte, client *KeyPair, clientCAs []byte, serverName string, now time.Time) (error, error) {
	t.Helper()
	sc, err := tls.X509KeyPair(server.CertPEM, server.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	spool := x509.NewCertPool()
	spool.AppendCertsFromPEM(serverCAs)
	cpool := x509.NewCertPool()
	cpool.AppendCertsFromPEM(clientCAs)
	clock := func() time.Time { return now }
	ccfg := &tls.Config{RootCAs: cpool, ServerName: serverName, Time: clock, MinVersion: tls.VersionTLS12}
	if client != nil {
		cc, err := tls.X509KeyPair(client.CertPEM, client.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		ccfg.Certificates = []tls.Certificate{cc}
	}
	a, b := net.Pipe()
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{sc}, ClientCAs: spool, ClientAuth: tls.RequireAndVerifyClientCert, Time: clock, MinVersion: tls.VersionTLS12})
	cli := tls.Client(b, ccfg)
	serr := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			_, err = srv.Write([]byte("x")) // lets a TLS 1.3 client see the server's verdict on its certificate
		}
		serr <- err
		srv.Close()
	}()
	cerr := cli.Handshake()
	if cerr == nil {
		_, cerr = io.ReadFull(cli, make([]byte, 1))
	}
	cli.Close()
	return <-serr, cerr
}

func TestIssuedPairHandshakes(t *testing.T) {
	c := mustIssue(t, t0)
	serr, cerr := handshake(t, c.server, c.ca.CertPEM, &c.client, c.ca.CertPEM, "metrics-targetallocator", t0.Add(time.Hour))
	if serr != nil || cerr != nil {
		t.Fatalf("handshake: server %v, client %v", serr, cerr)
	}
}

// TestAttackerWithoutCertificate: a caller that reaches the mTLS port but holds no client certificate (any pod
// in the cluster) is refused by the handshake, before any HTTP request.
func TestAttackerWithoutCertificate(t *testing.T) {
	c := mustIssue(t, t0)
	serr, _ := handshake(t, c.server, c.ca.CertPEM, nil, c.ca.CertPEM, "metrics-targetallocator", t0.Add(time.Hour))
	if serr == nil {
		t.Fatal("the server accepted a client without a certificate")
	}
}

// TestAttackerWithAnotherCollectorsCertificate: the client certificate of another collector (another CA) does not
// open this target allocator; CAs are per collector.
func TestAttackerWithAnotherCollectorsCertificate(t *testing.T) {
	mine := mustIssue(t, t0)
	other := mustIssue(t, t0)
	serr, _ := handshake(t, mine.server, mine.ca.CertPEM, &other.client, mine.ca.CertPEM, "metrics-targetallocator", t0.Add(time.Hour))
	if serr == nil {
		t.Fatal("the server accepted a client certificate of another CA")
	}
}

// TestAttackerWithServerCertificateAsClient: the server certificate (mounted in the TA pod) is not a client
// certificate: its extended key usage is serverAuth only.
func TestAttackerWithServerCertificateAsClient(t *testing.T) {
	c := mustIssue(t, t0)
	serr, _ := handshake(t, c.server, c.ca.CertPEM, &c.server, c.ca.CertPEM, "metrics-targetallocator", t0.Add(time.Hour))
	if serr == nil {
		t.Fatal("the server accepted its own server certificate as a client certificate")
	}
}

func TestExpiredClientRefused(t *testing.T) {
	c := mustIssue(t, t0)
	serr, _ := handshake(t, c.server, c.ca.CertPEM, &c.client, c.ca.CertPEM, "metrics-targetallocator", t0.Add(DefaultLeafLifetime+time.Minute))
	if serr == nil {
		t.Fatal("an expired certificate was accepted")
	}
}

func TestServerNameChecked(t *testing.T) {
	c := mustIssue(t, t0)
	_, cerr := handshake(t, c.server, c.ca.CertPEM, &c.client, c.ca.CertPEM, "elsewhere", t0.Add(time.Hour))
	if cerr == nil {
		t.Fatal("the client accepted a server certificate for another name")
	}
}

func TestNeedsRenewal(t *testing.T) {
	c := mustIssue(t, t0)
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{t0, false},
		{t0.Add(4 * 24 * time.Hour), false},
		{t0.Add(5*24*time.Hour + time.Hour), true}, // less than a third of 7 days left
		{t0.Add(8 * 24 * time.Hour), true},
		{t0.Add(-time.Hour), true}, // not yet valid
	} {
		if got := NeedsRenewal(c.client.CertPEM, tt.at); got != tt.want {
			t.Errorf("NeedsRenewal at %v = %v, want %v", tt.at.Sub(t0), got, tt.want)
		}
	}
	if !NeedsRenewal([]byte("garbage"), t0) {
		t.Error("an unparsable certificate does not need renewal")
	}
}

// TestRenewedLeavesKeepWorking: leaves re-issued by the same CA work with peers that still hold the old ones, so
// renewing one side never breaks the other.
func TestRenewedLeavesKeepWorking(t *testing.T) {
	c := mustIssue(t, t0)
	later := t0.Add(5*24*time.Hour + time.Hour)
	server, err := IssueServer(c.ca, []string{"metrics-targetallocator"}, later, DefaultLeafLifetime)
	if err != nil {
		t.Fatal(err)
	}
	serr, cerr := handshake(t, server, c.ca.CertPEM, &c.client, c.ca.CertPEM, "metrics-targetallocator", later)
	if serr != nil || cerr != nil {
		t.Fatalf("renewed server with old client: server %v, client %v", serr, cerr)
	}
}

// TestVerifyRejectsPlantedMaterial: what an attacker could put into a Secret the operator later reads (a pair
// from their own CA, a key that is not the certificate's, a server certificate where a client one belongs) fails
// Verify, so the operator replaces it instead of serving it.
func TestVerifyRejectsPlantedMaterial(t *testing.T) {
	c := mustIssue(t, t0)
	other := mustIssue(t, t0)
	now := t0.Add(time.Hour)
	if err := Verify(c.client, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", now); err != nil {
		t.Fatalf("the genuine client pair fails: %v", err)
	}
	if err := Verify(c.server, c.ca.CertPEM, x509.ExtKeyUsageServerAuth, "metrics-targetallocator.obs.svc", now); err != nil {
		t.Fatalf("the genuine server pair fails: %v", err)
	}
	cases := map[string]error{
		"other CA":      Verify(other.client, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", now),
		"foreign key":   Verify(KeyPair{c.client.CertPEM, other.client.KeyPEM}, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", now),
		"wrong usage":   Verify(c.server, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", now),
		"wrong name":    Verify(c.server, c.ca.CertPEM, x509.ExtKeyUsageServerAuth, "evil.example", now),
		"empty bundle":  Verify(c.client, nil, x509.ExtKeyUsageClientAuth, "", now),
		"expired":       Verify(c.client, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", t0.Add(30*24*time.Hour)),
		"not PEM":       Verify(KeyPair{[]byte("x"), []byte("y")}, c.ca.CertPEM, x509.ExtKeyUsageClientAuth, "", now),
		"leaf as a CA":  issueErr(IssueClient(c.client, "x", now, time.Hour)),
		"zero lifetime": issueErr(NewCA("x", now, 0)),
	}
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func issueErr(_ KeyPair, err error) error { return err }

func TestLeafNeverOutlivesCA(t *testing.T) {
	ca, err := NewCA("short", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueClient(ca, "c", t0, DefaultLeafLifetime)
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := Parse(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.NotAfter.Equal(t0.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("leaf NotAfter %v outlives the CA (%v)", cert.NotAfter, t0.Add(time.Hour))
	}
	if !strings.Contains(string(leaf.KeyPEM), "PRIVATE KEY") || errors.Is(err, io.EOF) {
		t.Error("key not PEM")
	}
}
