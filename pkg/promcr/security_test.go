package promcr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/utils/ptr"
)

const saToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// A monitor author must not make collectors read their own files (their token, their keys) and send them to a
// target of the author's choice. Each file field is refused by default with an error naming the resource and the
// field, and passes only when the administrator allows file access.
func TestFileFieldsRefusedUnlessAllowed(t *testing.T) {
	cases := []struct {
		name  string
		field string
		res   Resources
	}{
		{"bearerTokenFile", "endpoints[0]: bearerTokenFile", Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{
			serviceMonitor("team-a", "steal", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].BearerTokenFile = saToken //nolint:staticcheck // the attack
			})}}},
		{"caFile", "endpoints[0]: tlsConfig.caFile", Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{
			serviceMonitor("team-a", "steal", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].TLSConfig = &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{CAFile: "/etc/ssl/private/ca.pem"}}
			})}}},
		{"certFile", "endpoints[0]: tlsConfig.certFile", Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{
			serviceMonitor("team-a", "steal", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].TLSConfig = &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{CertFile: "/tls/client.crt", KeyFile: "/tls/client.key"}}
			})}}},
		{"keyFile", "endpoints[0]: tlsConfig.keyFile", Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{
			serviceMonitor("team-a", "steal", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].TLSConfig = &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{KeyFile: "/tls/client.key"}}
			})}}},
		{"file_sd", "fileSDConfigs[0].files[0]", Resources{ScrapeConfigs: []*monitoringv1alpha1.ScrapeConfig{
			scrapeConfig("team-a", "steal", func(s *monitoringv1alpha1.ScrapeConfigSpec) {
				s.FileSDConfigs = []monitoringv1alpha1.FileSDConfig{{Files: []monitoringv1alpha1.SDFile{"/var/run/secrets/*.json"}}}
			})}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Generate(tc.res, testOptions())
			if len(got.ScrapeConfigs) != 0 || len(got.Errors) != 1 {
				t.Fatalf("denied: %d jobs, errors %v; want no job and one error", len(got.ScrapeConfigs), got.Errors)
			}
			err := got.Errors[0]
			if !errors.Is(err, ErrFileAccessDenied) || err.Name != "steal" || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error = %v, want ErrFileAccessDenied naming %q and the resource", err, tc.field)
			}

			// Allowed, the file passes this check (Prometheus' own validation may still object, for example
			// to a key file without a certificate).
			opts := testOptions()
			opts.AllowFileAccess = true
			for _, e := range Generate(tc.res, opts).Errors {
				if errors.Is(e, ErrFileAccessDenied) {
					t.Errorf("allowed: still refused: %v", e)
				}
			}
		})
	}
}

// Files named by a scrape class come from the administrator's TA configuration, so they pass while monitors may
// not name files themselves.
func TestScrapeClassFilesAllowedWhileMonitorFilesAreDenied(t *testing.T) {
	opts := testOptions()
	opts.ScrapeClasses = []monitoringv1.ScrapeClass{{
		Name: "mtls", Default: ptr.To(true),
		TLSConfig:     &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{CAFile: "/etc/prometheus/ca.crt", CertFile: "/etc/prometheus/tls.crt", KeyFile: "/etc/prometheus/tls.key"}},
		Authorization: &monitoringv1.Authorization{CredentialsFile: "/etc/prometheus/token"},
	}}
	sm := serviceMonitor("team-a", "api", nil)
	scs, err := ServiceMonitorScrapeConfigs(sm, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := scs[0].HTTPClientConfig
	if h.TLSConfig.CAFile != "/etc/prometheus/ca.crt" || h.TLSConfig.KeyFile != "/etc/prometheus/tls.key" ||
		h.Authorization == nil || h.Authorization.CredentialsFile != "/etc/prometheus/token" {
		t.Errorf("http client config = %+v, want the class's files", h)
	}
}

func selfSigned(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// TLS material is checked as the Prometheus Operator checks it: the CA must be a PEM certificate and the
// certificate must pair with the key; otherwise the monitor is rejected instead of failing at every scrape.
func TestTLSMaterialValidated(t *testing.T) {
	cert, key := selfSigned(t, "a")
	_, otherKey := selfSigned(t, "b")
	cases := []struct {
		name, ca, cert, key, wantErr string
	}{
		{"valid", cert, cert, key, ""},
		{"ca not PEM", "not a certificate", cert, key, "tlsConfig.ca: no PEM block"},
		{"ca PEM but not a certificate", key, cert, key, "tlsConfig.ca:"},
		{"cert and key do not pair", cert, cert, otherKey, "tlsConfig.cert and keySecret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secrets := store{"team-a/tls/ca": tc.ca, "team-a/tls/cert": tc.cert, "team-a/tls/key": tc.key}
			opts := Options{Secrets: secrets.get}
			sm := serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].TLSConfig = &monitoringv1.TLSConfig{SafeTLSConfig: monitoringv1.SafeTLSConfig{
					CA:        monitoringv1.SecretOrConfigMap{Secret: ptr.To(secretRef("tls", "ca"))},
					Cert:      monitoringv1.SecretOrConfigMap{Secret: ptr.To(secretRef("tls", "cert"))},
					KeySecret: ptr.To(secretRef("tls", "key")),
				}}
			})
			_, err := ServiceMonitorScrapeConfigs(sm, opts)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			case err != nil && strings.Contains(err.Error(), "PRIVATE KEY"):
				t.Fatalf("error leaks key material: %v", err)
			}
		})
	}
}
