// Package mtls is the target allocator's mutual-TLS listener, the only one that serves scrape configs with their
// credentials: a client must present a certificate signed by the configured CA. The server certificate, its key
// and the CA are reloaded when their files change, so a rotation (cert-manager renewing the Secret) needs no
// restart and collectors never fail the handshake against a stale certificate or CA.
//
// The certificate and key pair is watched with controller-runtime's certwatcher (fsnotify plus a poll, which also
// sees the symlink swap of a Secret volume, and keeps the old pair while the files hold a mismatched one). It does
// not cover a CA, so the CA file is polled at the same interval and compared by content: three small files every
// few seconds cost nothing, and polling needs no re-arming of watches when the volume's ..data link is replaced.
package mtls

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// DefaultInterval is how often the files are checked.
const DefaultInterval = 10 * time.Second

// Files name the PEM files of the listener.
type Files struct {
	CertFile, KeyFile, CAFile string
}

// Server holds the current certificate and CA and hands them to each handshake.
type Server struct {
	files    Files
	interval time.Duration
	certs    *certwatcher.CertWatcher
	caPEM    []byte
	config   atomic.Pointer[tls.Config]
	// Reloads counts successful CA reloads, for tests and logs; certificate reloads are certwatcher's.
	caReloads atomic.Int64
}

// New loads the files once; an unreadable or invalid file is an error here, at start, rather than a listener that
// refuses every client. interval <= 0 means DefaultInterval.
func New(files Files, interval time.Duration) (*Server, error) {
	if files.CAFile == "" {
		return nil, errors.New("the mTLS listener needs a CA file: it serves credentials, so it requires client certificates")
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	certs, err := certwatcher.New(files.CertFile, files.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading %s and %s: %w", files.CertFile, files.KeyFile, err)
	}
	s := &Server{files: files, interval: interval, certs: certs.WithWatchInterval(interval)}
	if err := s.loadCA(); err != nil {
		return nil, err
	}
	return s, nil
}

// Run watches the files until ctx ends. A file that cannot be read or parsed keeps the previous one in use (a
// rotation writes files one at a time) and is logged; the next change or poll tries again.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.certs.Start(ctx) }()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-errc
		case <-t.C:
			if err := s.loadCA(); err != nil {
				klog.ErrorS(err, "Reloading the mTLS CA; keeping the previous one", "file", s.files.CAFile)
			}
		}
	}
}

func (s *Server) loadCA() error {
	pem, err := os.ReadFile(s.files.CAFile)
	if err != nil {
		return fmt.Errorf("reading the CA file: %w", err)
	}
	if s.config.Load() != nil && bytes.Equal(pem, s.caPEM) {
		return nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no PEM certificate", s.files.CAFile)
	}
	first := s.config.Load() == nil
	s.caPEM = pem
	s.config.Store(&tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: s.certs.GetCertificate,
		ClientCAs:      pool,
		ClientAuth:     tls.RequireAndVerifyClientCert,
	})
	if !first {
		s.caReloads.Add(1)
		klog.InfoS("Reloaded the mTLS CA", "file", s.files.CAFile)
	}
	return nil
}

// TLSConfig is the listener's config: every handshake takes the current certificate and CA.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return s.config.Load(), nil
		},
	}
}

// Listen listens on addr with TLSConfig.
func (s *Server) Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(l, s.TLSConfig()), nil
}
