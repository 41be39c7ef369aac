package main

import (
	commonconfig "github.com/prometheus/common/config"
	promconfig "github.com/prometheus/prometheus/config"
)

// withoutCredentials returns sc as plain HTTP may serve it: a copy without the scrape's credentials, and what was
// left out. A collector that got "<secret>" would send that text as its password (the reference's bug), and
// plain HTTP must not carry the real one, so the credential goes and the job stays: its targets still get
// scraped, and fail authentication visibly, rather than disappearing. sc itself is not modified: discovery keeps
// using it.
//
// Only the scrape's own HTTP client is touched; service discovery runs in the TA, whose SD credentials are never
// served. Whatever this misses is caught by the caller, which drops a job whose encoding still holds a secret.
func withoutCredentials(sc *promconfig.ScrapeConfig) (*promconfig.ScrapeConfig, []string) {
	c := *sc
	h := &c.HTTPClientConfig
	var removed []string
	if h.BasicAuth != nil && h.BasicAuth.Password != "" {
		h.BasicAuth = nil
		removed = append(removed, "basic_auth")
	}
	if h.Authorization != nil && h.Authorization.Credentials != "" {
		h.Authorization = nil
		removed = append(removed, "authorization")
	}
	if h.BearerToken != "" {
		h.BearerToken = ""
		removed = append(removed, "bearer_token")
	}
	if h.OAuth2 != nil && (h.OAuth2.ClientSecret != "" || h.OAuth2.ClientCertificateKey != "" || h.OAuth2.TLSConfig.Key != "") {
		h.OAuth2 = nil
		removed = append(removed, "oauth2")
	}
	if h.TLSConfig.Key != "" {
		// A certificate without its key is a config error for the collector, so the client certificate goes too.
		h.TLSConfig.Key, h.TLSConfig.Cert = "", ""
		removed = append(removed, "tls_config client key")
	}
	if hasSecretHeaders(h.ProxyConnectHeader) {
		h.ProxyConnectHeader = nil
		removed = append(removed, "proxy_connect_header")
	}
	if h.HTTPHeaders != nil {
		headers := make(map[string]commonconfig.Header, len(h.HTTPHeaders.Headers))
		for name, v := range h.HTTPHeaders.Headers {
			if len(v.Secrets) > 0 {
				v.Secrets = nil
				removed = append(removed, "http_headers "+name)
			}
			if len(v.Values) > 0 || len(v.Files) > 0 {
				headers[name] = v
			}
		}
		h.HTTPHeaders = &commonconfig.Headers{Headers: headers}
	}
	return &c, removed
}

func hasSecretHeaders(h commonconfig.ProxyHeader) bool {
	for _, secrets := range h {
		if len(secrets) > 0 {
			return true
		}
	}
	return false
}
