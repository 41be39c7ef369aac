package mtls_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/mtls"
)

type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns the PEM certificate and key of a leaf signed by a, for a server (127.0.0.1) or a client.
func (a *authority) issue(t *testing.T, name string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	// Written beside and renamed, as a Secret volume swaps its files, so a poll never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// client asks the listener with a client certificate of clientCA and trusting serverCA; it returns the server
// certificate's common name.
func client(t *testing.T, url string, serverCA, clientCA *authority) (string, error) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(serverCA.cert)
	cp, kp := clientCA.issue(t, "collector", false)
	pair, err := tls.X509KeyPair(cp, kp)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}},
		DisableKeepAlives: true,
	}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	return resp.TLS.PeerCertificates[0].Subject.CommonName, nil
}

// TestRotationUnderARunningListener: the server certificate, its key and the CA are replaced while the listener
// serves; without a restart, collectors with certificates of the new CA get in, those of the old CA are refused,
// and the new server certificate is presented. A broken file in between keeps the previous material.
func TestRotationUnderARunningListener(t *testing.T) {
	dir := t.TempDir()
	files := mtls.Files{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), CAFile: filepath.Join(dir, "ca.crt")}
	ca1 := newCA(t, "ca1")
	c1, k1 := ca1.issue(t, "server1", true)
	write(t, files.CertFile, c1)
	write(t, files.KeyFile, k1)
	write(t, files.CAFile, ca1.pem)

	s, err := mtls.New(files, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()
	l, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	url := "https://" + l.Addr().String() + "/"

	if cn, err := client(t, url, ca1, ca1); err != nil || cn != "server1" {
		t.Fatalf("before rotation: %q, %v", cn, err)
	}
	other := newCA(t, "other")
	if _, err := client(t, url, ca1, other); err == nil {
		t.Fatal("a client certificate of an unknown CA was accepted")
	}

	// Rotate everything to ca2.
	ca2 := newCA(t, "ca2")
	c2, k2 := ca2.issue(t, "server2", true)
	write(t, files.CAFile, ca2.pem)
	write(t, files.KeyFile, k2)
	write(t, files.CertFile, c2)
	eventually(t, func() error {
		cn, err := client(t, url, ca2, ca2)
		if err == nil && cn != "server2" {
			err = errors.New("served " + cn)
		}
		return err
	})
	if _, err := client(t, url, ca2, ca1); err == nil {
		t.Error("after the CA rotation a client certificate of the old CA is still accepted")
	}

	// A broken CA and a key that does not match the certificate keep the previous ones.
	write(t, files.CAFile, []byte("not a certificate"))
	_, k3 := ca2.issue(t, "server3", true)
	write(t, files.KeyFile, k3)
	time.Sleep(300 * time.Millisecond)
	if cn, err := client(t, url, ca2, ca2); err != nil || cn != "server2" {
		t.Errorf("after broken files: %q, %v; want the previous certificate and CA still served", cn, err)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestNewRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "ca")
	c, k := ca.issue(t, "s", true)
	cert, key, caFile := filepath.Join(dir, "c"), filepath.Join(dir, "k"), filepath.Join(dir, "ca")
	write(t, cert, c)
	write(t, key, k)
	write(t, caFile, []byte("junk"))
	if _, err := mtls.New(mtls.Files{CertFile: cert, KeyFile: key}, 0); err == nil {
		t.Error("no CA file accepted")
	}
	if _, err := mtls.New(mtls.Files{CertFile: cert, KeyFile: key, CAFile: caFile}, 0); err == nil {
		t.Error("a CA file without certificates accepted")
	}
	if _, err := mtls.New(mtls.Files{CertFile: cert, KeyFile: caFile, CAFile: caFile}, 0); err == nil {
		t.Error("a broken key accepted")
	}
}

func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
