package taconfig

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOverridesReplaceTheFile(t *testing.T) {
	const file = "collector_namespace: obs\nlisten_addr: :1\nhttps:\n  listen_addr: :2\n"
	str := func(s string) *string { return &s }
	yes := true
	// The file alone is refused: no jobs and no prometheus_cr; the flag supplies it, as in the reference.
	if _, err := ParseWith("ta.yaml", []byte(file), nil, Overrides{}); err == nil {
		t.Fatal("file without jobs loaded without --enable-prometheus-cr-watcher")
	}
	c, err := ParseWith("ta.yaml", []byte(file), nil, Overrides{
		ListenAddr: str(":3"), KubeConfigFilePath: str("/k"), PrometheusCREnabled: &yes, HTTPSEnabled: &yes,
		HTTPSListenAddr: str(":4"), HTTPSCAFilePath: str("/ca"), HTTPSTLSCertFilePath: str("/crt"),
		HTTPSTLSKeyFilePath: str("/key"), AllowInsecureAuthSecrets: &yes,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.ListenAddr, c.KubeConfigFilePath, c.PrometheusCR.Enabled, c.HTTPS, c.AllowInsecureAuthSecrets}
	want := []any{":3", "/k", true, HTTPS{Enabled: true, ListenAddr: ":4", CAFilePath: "/ca", TLSCertFilePath: "/crt", TLSKeyFilePath: "/key"}, true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("overridden (-want +got):\n%s", d)
	}
	// --enable-https-server without certificates anywhere is refused after the overrides.
	if _, err := ParseWith("ta.yaml", []byte(file), nil, Overrides{PrometheusCREnabled: &yes, HTTPSEnabled: &yes}); err == nil ||
		!strings.Contains(err.Error(), "tls_cert_file_path") {
		t.Errorf("https flag without certificate: error %v", err)
	}
}

func TestInsecureAuthSecretsEnv(t *testing.T) {
	const file = "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n"
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == InsecureAuthSecretsEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		env  string
		flag *bool
		want bool
	}{{"", nil, false}, {"true", nil, true}, {"false", nil, false}, {"true", new(bool), false}} {
		c, err := ParseWith("ta.yaml", []byte(file), env(tc.env), Overrides{AllowInsecureAuthSecrets: tc.flag})
		if err != nil {
			t.Fatal(err)
		}
		if c.AllowInsecureAuthSecrets != tc.want {
			t.Errorf("env %q flag %v: allow %v, want %v", tc.env, tc.flag, c.AllowInsecureAuthSecrets, tc.want)
		}
	}
	// A value that is not a boolean is an error, not a silent "false" (or worse, "true").
	if _, err := ParseWith("ta.yaml", []byte(file), env("yes please"), Overrides{}); err == nil || !strings.Contains(err.Error(), InsecureAuthSecretsEnv) {
		t.Errorf("bad env value: error %v", err)
	}
}
