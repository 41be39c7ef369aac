package main

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// The reference operator's argument list, and the logging flags users pass through spec.targetAllocator.args.
func TestParseFlagsReferenceArguments(t *testing.T) {
	o, err := parseFlags([]string{
		"--config-file=/conf/targetallocator.yaml", "--listen-addr=:8081", "--kubeconfig-path=/k",
		"--enable-prometheus-cr-watcher", "--enable-https-server", "--listen-addr-https=:8444",
		"--https-ca-file=/tls/ca.crt", "--https-tls-cert-file=/tls/tls.crt", "--https-tls-key-file=/tls/tls.key",
		"--allow-insecure-auth-secrets", "--zap-log-level=debug", "--zap-devel", "--zap-encoder=json",
		"--zap-stacktrace-level=error", "--zap-time-encoding=iso8601",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	yes := true
	want := taconfig.Overrides{ListenAddr: s(":8081"), KubeConfigFilePath: s("/k"), PrometheusCREnabled: &yes,
		HTTPSEnabled: &yes, HTTPSListenAddr: s(":8444"), HTTPSCAFilePath: s("/tls/ca.crt"),
		HTTPSTLSCertFilePath: s("/tls/tls.crt"), HTTPSTLSKeyFilePath: s("/tls/tls.key"), AllowInsecureAuthSecrets: &yes}
	if d := cmp.Diff(want, o.overrides); d != "" {
		t.Errorf("overrides (-want +got):\n%s", d)
	}
	if o.configFile != "/conf/targetallocator.yaml" {
		t.Errorf("config file %q", o.configFile)
	}
	na := strings.Join(o.notApplicable, "\n")
	if o.logFormat != "json" || o.logVerbosity != "1" {
		t.Errorf("--zap-encoder=json --zap-log-level=debug gave log format %q at -v=%q, want json at 1", o.logFormat, o.logVerbosity)
	}
	for _, f := range []string{"--zap-devel", "--zap-stacktrace-level", "--zap-time-encoding"} {
		if !strings.Contains(na, f) {
			t.Errorf("%s not reported as not applicable: %q", f, na)
		}
	}
	if strings.Contains(na, "zap-encoder") {
		t.Errorf("--zap-encoder=json is applied (JSON logs), not 'not applicable': %q", na)
	}
	if strings.Contains(na, "zap-log-level") {
		t.Errorf("--zap-log-level=debug is applied (klog -v=1), not 'not applicable': %q", na)
	}
}

// Flags not given leave the file's values: only changed flags override.
func TestParseFlagsDefaultsOverrideNothing(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(taconfig.Overrides{}, o.overrides); d != "" {
		t.Errorf("overrides without flags (-want +got):\n%s", d)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"--zap-log-level=loud"},
		{"--kubeconfig=/a", "--kubeconfig-path=/b"},
		{"--ready-timeout=0s"},
		{"--log-format=xml"},
		{"--response-cache-size=-1Mi"},
		{"--response-cache-size=lots"},
		{"--response-cache-size=10E"},
		{"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	if _, err := parseFlags([]string{"-h"}); !errors.Is(err, pflag.ErrHelp) {
		t.Errorf("-h: %v, want pflag.ErrHelp", err)
	}
}

// The response cache is 256 MiB by default, capped at an eighth of a memory limit; a size given on the command
// line is taken as it is.
func TestResponseCacheBudget(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.responseCache != 256<<20 || o.responseCacheSet {
		t.Fatalf("default %d (set %v), want 256 MiB", o.responseCache, o.responseCacheSet)
	}
	if got := responseCacheBudget(o.responseCache, o.responseCacheSet, math.MaxInt64); got != 256<<20 {
		t.Errorf("no memory limit: %d", got)
	}
	if got := responseCacheBudget(o.responseCache, o.responseCacheSet, 1<<30); got != 128<<20 {
		t.Errorf("1 GiB limit: %d, want 128 MiB", got)
	}
	o, err = parseFlags([]string{"--response-cache-size=1Gi"})
	if err != nil {
		t.Fatal(err)
	}
	if got := responseCacheBudget(o.responseCache, o.responseCacheSet, 1<<30); got != 1<<30 {
		t.Errorf("--response-cache-size=1Gi under a 1 GiB limit: %d", got)
	}
}

func TestZapLevelToKlog(t *testing.T) {
	for in, want := range map[string]int{"debug": 1, "info": 0, "3": 3, "error": 0} {
		got, _, err := zapLevelToKlog(in)
		if err != nil || got != want {
			t.Errorf("%s -> %d, %v; want %d", in, got, err, want)
		}
	}
}
