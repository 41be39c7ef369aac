package plainhttp

import (
	"reflect"

	commonconfig "github.com/prometheus/common/config"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
)

// Result is what plain HTTP may serve of one scrape config.
type Result struct {
	// Config is the config to serve, nil when the whole job is left out. It shares unmodified parts with the
	// input, which is never modified.
	Config *promconfig.ScrapeConfig
	// Withheld names the credentials left out ("basic_auth", "tls_config client certificate", ...), in field
	// order; empty when the job is served as written but for its service discovery configs.
	Withheld []string
}

// ScrapeConfig returns what plain HTTP may serve of sc.
func ScrapeConfig(sc *promconfig.ScrapeConfig) Result {
	c := *sc
	var withheld []string
	c.HTTPClientConfig, withheld = httpClientConfig(sc.HTTPClientConfig)
	var kept discovery.Configs
	for _, d := range sc.ServiceDiscoveryConfigs {
		if s, ok := d.(discovery.StaticConfig); ok {
			kept = append(kept, s)
		}
	}
	// Not reported in Withheld: every job loses its discovery here, which is the plain body's shape, not a
	// credential held back.
	c.ServiceDiscoveryConfigs = kept
	if holdsSecret(reflect.ValueOf(&c), 0) {
		// The safety net for a credential field this package does not know yet (a new field of prometheus/common
		// typed Secret): leave the job out rather than serve the credential or a placeholder for it.
		return Result{Withheld: []string{"the whole job: it holds a credential plain HTTP cannot serve"}}
	}
	return Result{Config: &c, Withheld: withheld}
}

// httpClientConfig returns h without credentials. Authentication blocks go whole when they hold any value other
// than file names (which name files of the collector, read there, and are checked against tenants elsewhere):
// a block with only its secret removed would make the collector authenticate with a partial or empty credential,
// and its remaining strings (username, client_id, audience, claims) may themselves come from a Secret.
func httpClientConfig(h commonconfig.HTTPClientConfig) (commonconfig.HTTPClientConfig, []string) {
	var withheld []string
	if h.BasicAuth != nil && !onlyFiles(reflect.ValueOf(*h.BasicAuth)) {
		h.BasicAuth = nil
		withheld = append(withheld, "basic_auth")
	}
	if h.Authorization != nil && !onlyFiles(reflect.ValueOf(*h.Authorization)) {
		h.Authorization = nil
		withheld = append(withheld, "authorization")
	}
	if h.OAuth2 != nil {
		// client_id, endpoint_params, claims and the rest are the OAuth2 client's identity; without them the
		// block cannot work, with them it may carry Secret values. It goes whole.
		h.OAuth2 = nil
		withheld = append(withheld, "oauth2")
	}
	if h.BearerToken != "" {
		h.BearerToken = ""
		withheld = append(withheld, "bearer_token")
	}
	var tlsWithheld []string
	h.TLSConfig, tlsWithheld = tlsConfig(h.TLSConfig)
	withheld = append(withheld, tlsWithheld...)
	var proxyWithheld []string
	h.ProxyConfig, proxyWithheld = proxyConfig(h.ProxyConfig)
	withheld = append(withheld, proxyWithheld...)
	if h.HTTPHeaders != nil {
		headers := make(map[string]commonconfig.Header, len(h.HTTPHeaders.Headers))
		removed := false
		for name, v := range h.HTTPHeaders.Headers {
			if len(v.Secrets) > 0 {
				v.Secrets = nil
				removed = true
			}
			if len(v.Values) > 0 || len(v.Files) > 0 {
				headers[name] = v
			}
		}
		if removed {
			withheld = append(withheld, "http_headers secrets")
		}
		if len(headers) == 0 {
			h.HTTPHeaders = nil
		} else {
			h.HTTPHeaders = &commonconfig.Headers{Headers: headers}
		}
	}
	return h, withheld
}

// tlsConfig leaves out inline certificate material (the CA and the client certificate come from Secrets or
// ConfigMaps in monitors) and the client certificate as a pair: a key without its certificate, or the reverse, is
// a config error for the collector, which would then reject every job it pulls.
func tlsConfig(t commonconfig.TLSConfig) (commonconfig.TLSConfig, []string) {
	var withheld []string
	if t.CA != "" || t.CARef != "" {
		t.CA, t.CARef = "", ""
		withheld = append(withheld, "tls_config ca")
	}
	if t.Cert != "" || t.Key != "" || t.CertRef != "" || t.KeyRef != "" {
		t.Cert, t.Key, t.CertRef, t.KeyRef, t.CertFile, t.KeyFile = "", "", "", "", "", ""
		withheld = append(withheld, "tls_config client certificate")
	}
	return t, withheld
}

// proxyConfig leaves out the proxy's credentials: the user information of proxy_url (the reference served it as
// user:xxxxx@, so collectors logged in with "xxxxx") and proxy_connect_header, whose values are secrets. The proxy
// itself stays, so scrapes through it fail visibly instead of going around it.
func proxyConfig(p commonconfig.ProxyConfig) (commonconfig.ProxyConfig, []string) {
	var withheld []string
	if p.ProxyURL.URL != nil && p.ProxyURL.User != nil {
		u := *p.ProxyURL.URL
		u.User = nil
		p.ProxyURL = commonconfig.URL{URL: &u}
		withheld = append(withheld, "proxy_url user information")
	}
	if len(p.ProxyConnectHeader) > 0 {
		p.ProxyConnectHeader = nil
		withheld = append(withheld, "proxy_connect_header")
	}
	return p, withheld
}

// onlyFiles reports whether the struct v sets no field other than file names and an authorization type.
func onlyFiles(v reflect.Value) bool {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || v.Field(i).IsZero() {
			continue
		}
		switch f.Name {
		case "Type", "UsernameFile", "PasswordFile", "CredentialsFile":
			continue
		}
		return false
	}
	return true
}

var secretType = reflect.TypeFor[commonconfig.Secret]()

// holdsSecret reports whether v holds a non-empty commonconfig.Secret anywhere.
func holdsSecret(v reflect.Value, depth int) bool {
	if depth > 32 {
		return false
	}
	if v.Type() == secretType {
		return v.String() != ""
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holdsSecret(v.Elem(), depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && holdsSecret(v.Field(i), depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if holdsSecret(v.Index(i), depth+1) {
				return true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if holdsSecret(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}
