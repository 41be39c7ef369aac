package certissuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Default lifetimes. Leaves are short-lived (a stolen client certificate stops working within a week); the CA lives
// longer because replacing it means every pod must learn the new one before it is used.
const (
	DefaultCALifetime   = 365 * 24 * time.Hour
	DefaultLeafLifetime = 7 * 24 * time.Hour
)

// clockSkew backdates NotBefore so that a node whose clock is slightly behind accepts a fresh certificate.
const clockSkew = 5 * time.Minute

// KeyPair is a PEM certificate and its PEM (PKCS#8) private key.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a self-signed CA valid from now for lifetime.
func NewCA(commonName string, now time.Time, lifetime time.Duration) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl, err := template(commonName, now, lifetime)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.MaxPathLenZero = true // signs leaves only
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("creating the CA certificate: %w", err)
	}
	return encode(der, key)
}

// IssueServer signs a server certificate for dnsNames with ca.
func IssueServer(ca KeyPair, dnsNames []string, now time.Time, lifetime time.Duration) (KeyPair, error) {
	if len(dnsNames) == 0 {
		return KeyPair{}, errors.New("a server certificate needs at least one DNS name")
	}
	return issue(ca, dnsNames[0], dnsNames, x509.ExtKeyUsageServerAuth, now, lifetime)
}

// IssueClient signs a client certificate named commonName with ca.
func IssueClient(ca KeyPair, commonName string, now time.Time, lifetime time.Duration) (KeyPair, error) {
	return issue(ca, commonName, nil, x509.ExtKeyUsageClientAuth, now, lifetime)
}

func issue(ca KeyPair, commonName string, dnsNames []string, usage x509.ExtKeyUsage, now time.Time, lifetime time.Duration) (KeyPair, error) {
	caCert, caKey, err := Parse(ca)
	if err != nil {
		return KeyPair{}, fmt.Errorf("the CA: %w", err)
	}
	if !caCert.IsCA {
		return KeyPair{}, errors.New("the CA certificate is not a CA")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl, err := template(commonName, now, lifetime)
	if err != nil {
		return KeyPair{}, err
	}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter // never outlive the issuer
	}
	tmpl.DNSNames = dnsNames
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing the certificate: %w", err)
	}
	return encode(der, key)
}

func template(commonName string, now time.Time, lifetime time.Duration) (*x509.Certificate, error) {
	if lifetime <= 0 {
		return nil, fmt.Errorf("certificate lifetime %v is not positive", lifetime)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"otelcol-operator"}},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(lifetime),
	}, nil
}

func encode(der []byte, key *ecdsa.PrivateKey) (KeyPair, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// Parse decodes a key pair and checks that the key belongs to the certificate.
func Parse(kp KeyPair) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, err := parseCert(kp.CertPEM)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(kp.KeyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("no PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("private key is %T, want ECDSA", k)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("the private key does not belong to the certificate")
	}
	return cert, key, nil
}

func parseCert(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(block.Bytes)
}

// NeedsRenewal tells whether a certificate must be replaced at now: it cannot be parsed, is not yet or no longer
// valid, or has less than a third of its lifetime left.
func NeedsRenewal(certPEM []byte, now time.Time) bool {
	cert, err := parseCert(certPEM)
	if err != nil {
		return true
	}
	if now.Before(cert.NotBefore) || !now.Before(cert.NotAfter) {
		return true
	}
	lifetime := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotAfter.Sub(now) < lifetime/3
}

// Verify checks that kp is a valid pair at now, signed by a CA of caBundlePEM for usage (and, for a server,
// valid for dnsName). The operator uses it before trusting what it finds in an existing Secret, so material that
// was edited or planted by someone else is replaced rather than served.
func Verify(kp KeyPair, caBundlePEM []byte, usage x509.ExtKeyUsage, dnsName string, now time.Time) error {
	cert, _, err := Parse(kp)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caBundlePEM) {
		return errors.New("the CA bundle holds no certificate")
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: dnsName, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}
