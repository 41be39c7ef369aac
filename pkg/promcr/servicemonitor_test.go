package promcr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// TestServiceMonitorSecrets checks the resolved values, which the golden files only show
// redacted.
func TestServiceMonitorSecrets(t *testing.T) {
	tests := []struct {
		name          string
		mutate        func(*monitoringv1.Endpoint)
		wantBasic     *commoncfg.BasicAuth
		wantAuthz     *commoncfg.Authorization
		wantTLSKey    commoncfg.Secret
		wantTLSCA     string
		wantProxyHdrs commoncfg.ProxyHeader
		wantOAuth2    *commoncfg.OAuth2
	}{
		{
			name: "basic auth from a secret",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
			},
			wantBasic: &commoncfg.BasicAuth{Username: "scraper", Password: "s3cret"},
		},
		{
			name: "authorization defaults to Bearer",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.Authorization = &monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))}
			},
			wantAuthz: &commoncfg.Authorization{Type: "Bearer", Credentials: "tok-123"},
		},
		{
			name: "deprecated bearerTokenSecret becomes authorization",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.BearerTokenSecret = ptr.To(secretRef("creds", "token")) //nolint:staticcheck // testing the deprecated field
			},
			wantAuthz: &commoncfg.Authorization{Type: "Bearer", Credentials: "tok-123"},
		},
		{
			name: "TLS material inlined",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.TLSConfig = &monitoringv1.TLSConfig{SafeTLSConfig: monitoringv1.SafeTLSConfig{
					CA:        monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("ca", "ca.crt")},
					Cert:      monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("ca", "client.crt")},
					KeySecret: ptr.To(secretRef("tls", "key")),
				}}
			},
			wantTLSCA:  testCertPEM,
			wantTLSKey: testKeyPEM,
		},
		{
			name: "proxy connect header from a secret",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.ProxyURL = ptr.To("http://proxy:3128")
				ep.ProxyConnectHeader = map[string][]corev1.SecretKeySelector{"Proxy-Authorization": {secretRef("creds", "token")}}
			},
			wantProxyHdrs: commoncfg.ProxyHeader{"Proxy-Authorization": {"tok-123"}},
		},
		{
			name: "oauth2 client id from a configmap, secret from a secret",
			mutate: func(ep *monitoringv1.Endpoint) {
				ep.OAuth2 = &monitoringv1.OAuth2{
					ClientID:     monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("oauth", "client-id")},
					ClientSecret: secretRef("creds", "password"),
					TokenURL:     "https://auth.example/token",
					Scopes:       []string{"metrics"},
				}
			},
			wantOAuth2: &commoncfg.OAuth2{ClientID: "scraper-app", ClientSecret: "s3cret", TokenURL: "https://auth.example/token", Scopes: []string{"metrics"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) { tc.mutate(&sm.Spec.Endpoints[0]) })
			scs, err := ServiceMonitorScrapeConfigs(sm, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			h := scs[0].HTTPClientConfig
			if diff := cmp.Diff(tc.wantBasic, h.BasicAuth); diff != "" {
				t.Errorf("basic_auth (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAuthz, h.Authorization); diff != "" {
				t.Errorf("authorization (-want +got):\n%s", diff)
			}
			if h.TLSConfig.CA != tc.wantTLSCA || h.TLSConfig.Key != tc.wantTLSKey {
				t.Errorf("tls ca/key = %q/%q, want %q/%q", h.TLSConfig.CA, h.TLSConfig.Key, tc.wantTLSCA, tc.wantTLSKey)
			}
			if diff := cmp.Diff(tc.wantOAuth2, h.OAuth2, cmpopts.IgnoreUnexported(commoncfg.ProxyConfig{})); diff != "" {
				t.Errorf("oauth2 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantProxyHdrs, h.ProxyConnectHeader, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("proxy_connect_header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceMonitorDiscovery(t *testing.T) {
	tests := []struct {
		name      string
		nsSel     monitoringv1.NamespaceSelector
		role      *monitoringv1.ServiceDiscoveryRole
		defRole   monitoringv1.ServiceDiscoveryRole
		wantRole  kubernetes.Role
		wantNames []string
	}{
		{name: "own namespace by default", wantRole: kubernetes.RoleEndpointSlice, wantNames: []string{"team-a"}},
		{name: "any namespace", nsSel: monitoringv1.NamespaceSelector{Any: true}, wantRole: kubernetes.RoleEndpointSlice},
		{name: "matchNames", nsSel: monitoringv1.NamespaceSelector{MatchNames: []string{"x", "y"}}, wantRole: kubernetes.RoleEndpointSlice, wantNames: []string{"x", "y"}},
		{name: "monitor asks for endpoints", role: ptr.To(monitoringv1.EndpointsRole), wantRole: kubernetes.RoleEndpoint, wantNames: []string{"team-a"}},
		{name: "caller default endpoints", defRole: monitoringv1.EndpointsRole, wantRole: kubernetes.RoleEndpoint, wantNames: []string{"team-a"}},
		{name: "monitor overrides caller default", role: ptr.To(monitoringv1.EndpointSliceRole), defRole: monitoringv1.EndpointsRole, wantRole: kubernetes.RoleEndpointSlice, wantNames: []string{"team-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.NamespaceSelector = tc.nsSel
				sm.Spec.ServiceDiscoveryRole = tc.role
			})
			opts := testOptions()
			opts.ServiceDiscoveryRole = tc.defRole
			scs, err := ServiceMonitorScrapeConfigs(sm, opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(scs[0].ServiceDiscoveryConfigs); n != 1 {
				t.Fatalf("%d SD configs, want 1", n)
			}
			sd := scs[0].ServiceDiscoveryConfigs[0].(*kubernetes.SDConfig)
			if sd.Role != tc.wantRole {
				t.Errorf("role = %q, want %q", sd.Role, tc.wantRole)
			}
			if diff := cmp.Diff(tc.wantNames, sd.NamespaceDiscovery.Names); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrapeIntervalDefault(t *testing.T) {
	opts := testOptions()
	opts.ScrapeInterval = mustDuration("30s")
	sm := serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
		sm.Spec.Endpoints = append(sm.Spec.Endpoints, monitoringv1.Endpoint{Port: "web", Interval: "5s"})
	})
	scs, err := ServiceMonitorScrapeConfigs(sm, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{scs[0].ScrapeInterval.String(), scs[1].ScrapeInterval.String()}
	if diff := cmp.Diff([]string{"30s", "5s"}, got); diff != "" {
		t.Errorf("intervals (-want +got):\n%s", diff)
	}
}
