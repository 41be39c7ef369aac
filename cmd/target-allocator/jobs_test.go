package main

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	commonconfig "github.com/prometheus/common/config"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
)

func securedJob() *promconfig.ScrapeConfig {
	return &promconfig.ScrapeConfig{
		JobName: "serviceMonitor/ns/api/0",
		HTTPClientConfig: commonconfig.HTTPClientConfig{
			BasicAuth:   &commonconfig.BasicAuth{Username: "scraper-user", Password: "s3cret"},
			BearerToken: "tok-123",
			TLSConfig:   commonconfig.TLSConfig{CA: "CA-PEM", Cert: "CERT-PEM", Key: "KEY-PEM"},
			HTTPHeaders: &commonconfig.Headers{Headers: map[string]commonconfig.Header{
				"X-Token": {Secrets: []commonconfig.Secret{"hdr-secret"}},
				"X-Plain": {Values: []string{"v"}},
			}},
			OAuth2: &commonconfig.OAuth2{ClientID: "oauth-client-id", ClientSecret: "oauth-secret", TokenURL: "http://token"},
		},
	}
}

func TestJobsWithholdCredentialsOnPlainHTTP(t *testing.T) {
	var applied []*promconfig.ScrapeConfig
	reg := prometheus.NewRegistry()
	j, err := newJobs([]*promconfig.ScrapeConfig{{JobName: "static"}}, func(c []*promconfig.ScrapeConfig) error {
		applied = c
		return nil
	}, false, reg)
	if err != nil {
		t.Fatal(err)
	}
	original := securedJob()
	if err := j.update([]*promconfig.ScrapeConfig{original}); err != nil {
		t.Fatal(err)
	}
	plain := string(j.plainBody())
	// Values monitors take from Secrets or ConfigMaps go, not only those typed as secrets.
	for _, leak := range []string{"s3cret", "tok-123", "KEY-PEM", "hdr-secret", "oauth-secret", "<secret>", "CERT-PEM",
		"CA-PEM", "scraper-user", "oauth-client-id"} {
		if strings.Contains(plain, leak) {
			t.Errorf("plain body holds %q: %s", leak, plain)
		}
	}
	for _, keep := range []string{`"static"`, `"serviceMonitor/ns/api/0"`, "X-Plain"} {
		if !strings.Contains(plain, keep) {
			t.Errorf("plain body lacks %q: %s", keep, plain)
		}
	}
	secured := string(j.securedBody())
	for _, want := range []string{"s3cret", "tok-123", "KEY-PEM", "hdr-secret", "oauth-secret"} {
		if !strings.Contains(secured, want) {
			t.Errorf("secured body lacks %q: %s", want, secured)
		}
	}
	if got := testutil.ToFloat64(j.withheldGauge); got != 1 {
		t.Errorf("withheld jobs = %v, want 1", got)
	}
	// Discovery and the mTLS body keep the original, untouched.
	if len(applied) != 2 || applied[1] != original || original.HTTPClientConfig.BasicAuth.Password != "s3cret" ||
		original.HTTPClientConfig.TLSConfig.Key != "KEY-PEM" || len(original.HTTPClientConfig.HTTPHeaders.Headers["X-Token"].Secrets) != 1 {
		t.Errorf("the original scrape config was changed or not applied: %+v", applied)
	}

	if err := j.update(nil); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(j.withheldGauge); got != 0 {
		t.Errorf("withheld jobs after the job went = %v, want 0", got)
	}
}

func TestJobsSDCredentialsNeverServedAsPlaceholder(t *testing.T) {
	sd := &kubernetes.SDConfig{Role: kubernetes.RolePod, HTTPClientConfig: commonconfig.HTTPClientConfig{BearerToken: "api-token"}}
	job := &promconfig.ScrapeConfig{JobName: "pods", ServiceDiscoveryConfigs: discovery.Configs{sd}}
	j, err := newJobs([]*promconfig.ScrapeConfig{job}, func([]*promconfig.ScrapeConfig) error { return nil }, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.update(nil); err != nil {
		t.Fatal(err)
	}
	plain := string(j.plainBody())
	if strings.Contains(plain, "<secret>") || strings.Contains(plain, "api-token") || !strings.Contains(plain, `"pods"`) {
		t.Errorf("plain body = %s, want the job without its SD credentials", plain)
	}
}

func TestJobsInsecureSecretsServePlainInClear(t *testing.T) {
	j, err := newJobs(nil, func([]*promconfig.ScrapeConfig) error { return nil }, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.update([]*promconfig.ScrapeConfig{securedJob()}); err != nil {
		t.Fatal(err)
	}
	if plain := string(j.plainBody()); !strings.Contains(plain, "s3cret") {
		t.Errorf("allow_insecure_auth_secrets: plain body lacks the password: %s", plain)
	}
}

func TestJobsStaticWinsANameClash(t *testing.T) {
	var applied []*promconfig.ScrapeConfig
	static := &promconfig.ScrapeConfig{JobName: "serviceMonitor/ns/api/0"}
	j, err := newJobs([]*promconfig.ScrapeConfig{static}, func(c []*promconfig.ScrapeConfig) error {
		applied = c
		return nil
	}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.update([]*promconfig.ScrapeConfig{securedJob()}); err != nil {
		t.Fatal(err)
	}
	if len(applied) != 1 || applied[0] != static {
		t.Errorf("applied %v, want only the static job", applied)
	}
}
