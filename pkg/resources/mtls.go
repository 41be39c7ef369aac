package resources

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/certissuer"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
)

// The files of the operator-issued certificates inside the pods. Both Secrets hold ca.crt (the CA that signed the
// peer), tls.crt and tls.key, the layout of kubernetes.io/tls Secrets.
const (
	serverTLSVolumeName = "ta-tls"
	serverTLSMountPath  = "/tls"
	clientTLSVolumeName = "ta-client-tls"
	clientTLSMountPath  = "/ta-client-tls"

	// TLSCAKey, TLSCertKey and TLSKeyKey are the keys of the certificate Secrets.
	TLSCAKey   = "ca.crt"
	TLSCertKey = "tls.crt"
	TLSKeyKey  = "tls.key"

	// TargetAllocatorHTTPSPort is the TA's mTLS listener (container); the Service exposes it on 443.
	TargetAllocatorHTTPSPort        = 8443
	TargetAllocatorHTTPSServicePort = 443
)

// TargetAllocatorCASecretName holds the CA that signs the two leaves, a staged successor and the retired
// predecessor's certificate. No pod mounts it.
func TargetAllocatorCASecretName(cr string) string { return secretName(cr, "-ta-ca") }

// TargetAllocatorServerSecretName holds the TA's server certificate and the CAs its clients may chain to.
func TargetAllocatorServerSecretName(cr string) string { return secretName(cr, "-ta-server") }

// TargetAllocatorClientSecretName holds the collectors' client certificate and the CAs the TA's certificate may
// chain to.
func TargetAllocatorClientSecretName(cr string) string { return secretName(cr, "-ta-client") }

// secretName is cr+suffix: a Secret's name is a DNS subdomain of up to 253 characters, so only a CR name within
// a few characters of that limit needs the hashed form.
func secretName(cr, suffix string) string {
	if name := cr + suffix; len(validation.IsDNS1123Subdomain(name)) == 0 {
		return name
	}
	return childName(cr, suffix, maxServiceNameLength)
}

// Keys of the CA Secret besides TLSCAKey.
const (
	caKeyKey          = "ca.key"
	nextCACertKey     = "next-ca.crt"
	nextCAKeyKey      = "next-ca.key"
	previousCACertKey = "previous-ca.crt"
)

// TrustAnchorAnnotation on the collector's pod template holds the sha256 of the newest CA of the trust bundle. The
// collector reads its CA file only at start (its reload_interval re-reads the certificate and key), so a CA joining
// the bundle must roll its pods; a renewed leaf, a promoted CA or a retired one changes nothing here and rolls
// nothing.
const TrustAnchorAnnotation = "opentelemetry-operator/ta-trust-anchor-sha256"

// MTLSRequested tells whether col asks for operator-issued mTLS between its TA and its collectors.
func MTLSRequested(col *v1alpha1.OpenTelemetryCollector) bool {
	ta := col.Spec.TargetAllocator
	return ta.Enabled && ta.PrometheusCR.Enabled && ta.MTLS.Enabled
}

// mtlsEnabled tells whether the TA serves its mTLS listener and the collector fetches its scrape configs over
// it: when the CR asks for it (only with prometheusCR, the only mode in which the collector asks the TA for scrape
// configs, which is where credentials are) and the controller holds its certificates
// (Options.TargetAllocatorCertificates).
func mtlsEnabled(col *v1alpha1.OpenTelemetryCollector, opts Options) bool {
	return opts.TargetAllocatorCertificates != nil && MTLSRequested(col)
}

// CertificateSecrets are the three Secrets of col's mTLS material m.
func CertificateSecrets(col *v1alpha1.OpenTelemetryCollector, m certissuer.Material) []*corev1.Secret {
	ca := map[string][]byte{TLSCAKey: m.CA.CertPEM, caKeyKey: m.CA.KeyPEM}
	if len(m.NextCA.CertPEM) > 0 {
		ca[nextCACertKey], ca[nextCAKeyKey] = m.NextCA.CertPEM, m.NextCA.KeyPEM
	}
	if len(m.PreviousCA) > 0 {
		ca[previousCACertKey] = m.PreviousCA
	}
	bundle := m.TrustBundle()
	leaf := func(name string, kp certissuer.KeyPair) *corev1.Secret {
		return &corev1.Secret{
			TypeMeta:   typeMeta("v1", "Secret"),
			ObjectMeta: objectMeta(col, ComponentTargetAllocator, name),
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{TLSCAKey: bundle, TLSCertKey: kp.CertPEM, TLSKeyKey: kp.KeyPEM},
		}
	}
	return []*corev1.Secret{
		{
			TypeMeta:   typeMeta("v1", "Secret"),
			ObjectMeta: objectMeta(col, ComponentTargetAllocator, TargetAllocatorCASecretName(col.Name)),
			Type:       corev1.SecretTypeOpaque,
			Data:       ca,
		},
		leaf(TargetAllocatorServerSecretName(col.Name), m.Server),
		leaf(TargetAllocatorClientSecretName(col.Name), m.Client),
	}
}

// CertificatesFromSecrets reads back what certificateSecrets wrote; nil Secrets and missing keys give zero parts,
// which certissuer.Plan replaces. The caller passes only Secrets the collector controls: material anyone else
// could have written is never signed with or served.
func CertificatesFromSecrets(ca, server, client *corev1.Secret) certissuer.Material {
	data := func(s *corev1.Secret, key string) []byte {
		if s == nil {
			return nil
		}
		return s.Data[key]
	}
	return certissuer.Material{
		CA:         certissuer.KeyPair{CertPEM: data(ca, TLSCAKey), KeyPEM: data(ca, caKeyKey)},
		NextCA:     certissuer.KeyPair{CertPEM: data(ca, nextCACertKey), KeyPEM: data(ca, nextCAKeyKey)},
		PreviousCA: data(ca, previousCACertKey),
		Server:     certissuer.KeyPair{CertPEM: data(server, TLSCertKey), KeyPEM: data(server, TLSKeyKey)},
		Client:     certissuer.KeyPair{CertPEM: data(client, TLSCertKey), KeyPEM: data(client, TLSKeyKey)},
	}
}

// trustAnchor is the value of TrustAnchorAnnotation: the hash of the staged CA when there is one, else of the
// signing CA.
func trustAnchor(m certissuer.Material) string {
	if len(m.NextCA.CertPEM) > 0 {
		return hash(string(m.NextCA.CertPEM))
	}
	return hash(string(m.CA.CertPEM))
}

func collectorTLSFiles(col *v1alpha1.OpenTelemetryCollector, opts Options) *configrewrite.TLSFiles {
	if !mtlsEnabled(col, opts) {
		return nil
	}
	return &configrewrite.TLSFiles{
		CAFile:   clientTLSMountPath + "/" + TLSCAKey,
		CertFile: clientTLSMountPath + "/" + TLSCertKey,
		KeyFile:  clientTLSMountPath + "/" + TLSKeyKey,
	}
}

func taHTTPS(col *v1alpha1.OpenTelemetryCollector, opts Options) *configrewrite.HTTPSOptions {
	if !mtlsEnabled(col, opts) {
		return nil
	}
	return &configrewrite.HTTPSOptions{
		ListenAddr: fmt.Sprintf(":%d", TargetAllocatorHTTPSPort),
		TLSFiles: configrewrite.TLSFiles{
			CAFile:   serverTLSMountPath + "/" + TLSCAKey,
			CertFile: serverTLSMountPath + "/" + TLSCertKey,
			KeyFile:  serverTLSMountPath + "/" + TLSKeyKey,
		},
	}
}

// TargetAllocatorServerNames are the DNS names the TA's server certificate must carry: its Service, as the
// collectors' target_allocator block names it, and the longer forms.
func TargetAllocatorServerNames(col *v1alpha1.OpenTelemetryCollector) []string {
	svc := TargetAllocatorName(col.Name)
	return []string{svc, svc + "." + col.Namespace, svc + "." + col.Namespace + ".svc", svc + "." + col.Namespace + ".svc.cluster.local"}
}
