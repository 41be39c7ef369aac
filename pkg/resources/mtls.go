package resources

import (
	"fmt"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
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

// TargetAllocatorServerSecretName holds the TA's server certificate and the CA its clients must chain to.
func TargetAllocatorServerSecretName(cr string) string { return cr + "-ta-server" }

// TargetAllocatorClientSecretName holds the collectors' client certificate and the CA the TA's certificate chains to.
func TargetAllocatorClientSecretName(cr string) string { return cr + "-ta-client" }

// mtlsEnabled tells whether the TA serves its mTLS listener and the collector fetches its scrape configs over
// it: only with prometheusCR (the only mode in which the collector asks the TA for scrape configs, which is where
// credentials are) and when the certificate Secrets exist (Options.TargetAllocatorTLS).
func mtlsEnabled(col *v1alpha1.OpenTelemetryCollector, opts Options) bool {
	ta := col.Spec.TargetAllocator
	return opts.TargetAllocatorTLS && ta.Enabled && ta.PrometheusCR.Enabled
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
