package promcr

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	commoncfg "github.com/prometheus/common/config"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// refs resolves Secret and ConfigMap references in one resource's namespace; references
// never cross namespaces, as in the Prometheus Operator.
type refs struct {
	namespace  string
	secrets    SecretGetter
	configMaps ConfigMapGetter
}

func (r refs) secret(field string, sel corev1.SecretKeySelector) (string, error) {
	if r.secrets == nil {
		return "", fmt.Errorf("%s: secret %s/%s: no secret getter configured", field, r.namespace, sel.Name)
	}
	v, err := r.secrets(r.namespace, sel.Name, sel.Key)
	if err != nil {
		return "", fmt.Errorf("%s: secret %s/%s key %q: %w", field, r.namespace, sel.Name, sel.Key, err)
	}
	return v, nil
}

func (r refs) secretOrConfigMap(field string, s monitoringv1.SecretOrConfigMap) (string, error) {
	switch {
	case s.Secret != nil && s.ConfigMap != nil:
		return "", fmt.Errorf("%s: both secret and configMap set", field)
	case s.Secret != nil:
		return r.secret(field, *s.Secret)
	case s.ConfigMap != nil:
		if r.configMaps == nil {
			return "", fmt.Errorf("%s: configmap %s/%s: no configmap getter configured", field, r.namespace, s.ConfigMap.Name)
		}
		v, err := r.configMaps(r.namespace, s.ConfigMap.Name, s.ConfigMap.Key)
		if err != nil {
			return "", fmt.Errorf("%s: configmap %s/%s key %q: %w", field, r.namespace, s.ConfigMap.Name, s.ConfigMap.Key, err)
		}
		return v, nil
	}
	return "", nil
}

// httpSettings is what the resource kinds share of their HTTP client settings; the CRDs
// nest them differently (TLS files exist only on ServiceMonitors). tls and authorization
// are already merged with the resource's scrape class; auth.Authorization is ignored.
type httpSettings struct {
	auth            monitoringv1.HTTPConfigWithoutTLS
	authorization   *classAuthorization
	tls             *monitoringv1.TLSConfig
	proxy           monitoringv1.ProxyConfig
	bearerTokenFile string
}

func (r refs) httpClientConfig(h httpSettings) (commoncfg.HTTPClientConfig, error) {
	c := commoncfg.DefaultHTTPClientConfig
	if err := h.auth.Validate(); err != nil {
		return c, err
	}
	if h.auth.FollowRedirects != nil {
		c.FollowRedirects = *h.auth.FollowRedirects
	}
	if h.auth.EnableHTTP2 != nil {
		c.EnableHTTP2 = *h.auth.EnableHTTP2
	}

	var err error
	if c.ProxyConfig, err = r.proxyConfig("proxy", h.proxy); err != nil {
		return c, err
	}
	if h.tls != nil {
		if c.TLSConfig, err = r.tlsConfig("tlsConfig", h.tls); err != nil {
			return c, err
		}
	}
	if h.auth.OAuth2 != nil {
		if c.OAuth2, err = r.oauth2(*h.auth.OAuth2); err != nil {
			return c, err
		}
	}
	if h.auth.BasicAuth != nil {
		if c.BasicAuth, err = r.basicAuth(*h.auth.BasicAuth); err != nil {
			return c, err
		}
	}
	if a := h.authorization; a != nil {
		if a.credentialsFile != "" && a.safe.Credentials == nil {
			// Only a scrape class (the administrator's configuration) names a credentials file.
			c.Authorization = &commoncfg.Authorization{Type: cmp.Or(a.safe.Type, "Bearer"), CredentialsFile: a.credentialsFile}
		} else if c.Authorization, err = r.authorization(*a.safe); err != nil {
			return c, err
		}
	}
	// The deprecated bearer token fields become the authorization block Prometheus would
	// turn them into when loading.
	if s := h.auth.BearerTokenSecret; s != nil && s.Name != "" { //nolint:staticcheck // still served by the CRD
		tok, err := r.secret("bearerTokenSecret", *s)
		if err != nil {
			return c, err
		}
		c.Authorization = &commoncfg.Authorization{Type: "Bearer", Credentials: commoncfg.Secret(tok)}
	}
	if h.bearerTokenFile != "" {
		if c.Authorization != nil {
			return c, errors.New("bearerTokenFile and authorization or bearerTokenSecret cannot be configured at the same time")
		}
		c.Authorization = &commoncfg.Authorization{Type: "Bearer", CredentialsFile: h.bearerTokenFile}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("http client config: %w", err)
	}
	return c, nil
}

func (r refs) basicAuth(b monitoringv1.BasicAuth) (*commoncfg.BasicAuth, error) {
	user, err := r.secret("basicAuth.username", b.Username)
	if err != nil {
		return nil, err
	}
	pass, err := r.secret("basicAuth.password", b.Password)
	if err != nil {
		return nil, err
	}
	return &commoncfg.BasicAuth{Username: user, Password: commoncfg.Secret(pass)}, nil
}

func (r refs) authorization(a monitoringv1.SafeAuthorization) (*commoncfg.Authorization, error) {
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	out := &commoncfg.Authorization{Type: a.Type}
	if out.Type == "" {
		out.Type = "Bearer"
	}
	if a.Credentials != nil {
		v, err := r.secret("authorization.credentials", *a.Credentials)
		if err != nil {
			return nil, err
		}
		out.Credentials = commoncfg.Secret(v)
	}
	return out, nil
}

func (r refs) oauth2(o monitoringv1.OAuth2) (*commoncfg.OAuth2, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("oauth2: %w", err)
	}
	id, err := r.secretOrConfigMap("oauth2.clientId", o.ClientID)
	if err != nil {
		return nil, err
	}
	secret, err := r.secret("oauth2.clientSecret", o.ClientSecret)
	if err != nil {
		return nil, err
	}
	out := &commoncfg.OAuth2{
		ClientID:       id,
		ClientSecret:   commoncfg.Secret(secret),
		TokenURL:       string(o.TokenURL),
		Scopes:         o.Scopes,
		EndpointParams: o.EndpointParams,
	}
	if out.ProxyConfig, err = r.proxyConfig("oauth2.proxy", o.ProxyConfig); err != nil {
		return nil, err
	}
	if o.TLSConfig != nil {
		if out.TLSConfig, err = r.tlsConfig("oauth2.tlsConfig", &monitoringv1.TLSConfig{SafeTLSConfig: *o.TLSConfig}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tlsConfig inlines CA, certificate and key: the collector that scrapes has no copy of
// the Secrets mounted. File paths are passed through for setups that mount them.
func (r refs) tlsConfig(field string, t *monitoringv1.TLSConfig) (commoncfg.TLSConfig, error) {
	var out commoncfg.TLSConfig
	if err := t.SafeTLSConfig.Validate(); err != nil {
		return out, fmt.Errorf("%s: %w", field, err)
	}
	var err error
	if out.CA, err = r.secretOrConfigMap(field+".ca", t.CA); err != nil {
		return out, err
	}
	if out.Cert, err = r.secretOrConfigMap(field+".cert", t.Cert); err != nil {
		return out, err
	}
	if t.KeySecret != nil {
		k, err := r.secret(field+".keySecret", *t.KeySecret)
		if err != nil {
			return out, err
		}
		out.Key = commoncfg.Secret(k)
	}
	if err := validateTLSMaterial(field, out.CA, out.Cert, string(out.Key)); err != nil {
		return out, err
	}
	out.CAFile, out.CertFile, out.KeyFile = t.CAFile, t.CertFile, t.KeyFile
	out.ServerName = ptr.Deref(t.ServerName, "")
	out.InsecureSkipVerify = ptr.Deref(t.InsecureSkipVerify, false)
	if out.MinVersion, err = tlsVersion(field+".minVersion", t.MinVersion); err != nil {
		return out, err
	}
	if out.MaxVersion, err = tlsVersion(field+".maxVersion", t.MaxVersion); err != nil {
		return out, err
	}
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("%s: %w", field, err)
	}
	return out, nil
}

// validateTLSMaterial rejects what the Prometheus Operator rejects before it generates a
// job: a CA that is not a PEM certificate, and a certificate and key that do not pair.
// Without it the job would be served and fail only at scrape time, on every collector.
func validateTLSMaterial(field, ca, cert, key string) error {
	if ca != "" {
		block, _ := pem.Decode([]byte(ca))
		if block == nil {
			return fmt.Errorf("%s.ca: no PEM block found", field)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("%s.ca: %w", field, err)
		}
	}
	if cert != "" && key != "" {
		if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
			// The error text names no key material, only what is wrong with it.
			return fmt.Errorf("%s.cert and keySecret: %w", field, err)
		}
	}
	return nil
}

func tlsVersion(field string, v *monitoringv1.TLSVersion) (commoncfg.TLSVersion, error) {
	if v == nil {
		return 0, nil
	}
	tv, ok := commoncfg.TLSVersions[string(*v)]
	if !ok {
		return 0, fmt.Errorf("%s: unknown TLS version %q", field, *v)
	}
	return tv, nil
}

func (r refs) proxyConfig(field string, p monitoringv1.ProxyConfig) (commoncfg.ProxyConfig, error) {
	var out commoncfg.ProxyConfig
	if u := ptr.Deref(p.ProxyURL, ""); u != "" {
		parsed, err := url.Parse(u)
		if err != nil {
			return out, fmt.Errorf("%s: proxyUrl: %w", field, err)
		}
		out.ProxyURL = commoncfg.URL{URL: parsed}
	}
	out.NoProxy = ptr.Deref(p.NoProxy, "")
	out.ProxyFromEnvironment = ptr.Deref(p.ProxyFromEnvironment, false)
	for _, name := range sortedKeys(p.ProxyConnectHeader) {
		for i, sel := range p.ProxyConnectHeader[name] {
			v, err := r.secret(fmt.Sprintf("%s: proxyConnectHeader %s[%d]", field, name, i), sel)
			if err != nil {
				return out, err
			}
			if out.ProxyConnectHeader == nil {
				out.ProxyConnectHeader = commoncfg.ProxyHeader{}
			}
			out.ProxyConnectHeader[name] = append(out.ProxyConnectHeader[name], commoncfg.Secret(v))
		}
	}
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("%s: %w", field, err)
	}
	return out, nil
}
