package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// httpsListener listens for the mTLS server, the only one that serves scrape configs with their credentials: a
// client must present a certificate signed by ca_file_path, so only collectors holding one get the secrets.
func httpsListener(h taconfig.HTTPS) (net.Listener, error) {
	if h.CAFilePath == "" {
		return nil, errors.New("https.enabled needs https.ca_file_path: the HTTPS listener serves credentials, so it requires client certificates")
	}
	cert, err := tls.LoadX509KeyPair(h.TLSCertFilePath, h.TLSKeyFilePath)
	if err != nil {
		return nil, fmt.Errorf("https: loading %s and %s: %w", h.TLSCertFilePath, h.TLSKeyFilePath, err)
	}
	caPEM, err := os.ReadFile(h.CAFilePath)
	if err != nil {
		return nil, fmt.Errorf("https: reading ca_file_path: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("https: %s holds no PEM certificate", h.CAFilePath)
	}
	addr := h.ListenAddr
	if addr == "" {
		addr = taconfig.DefaultHTTPSListenAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("https: listen on %s: %w", addr, err)
	}
	return tls.NewListener(l, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}), nil
}
