package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otelcol-operator/otelcol-operator/pkg/version"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	nsFile := filepath.Join(dir, "namespace")
	if err := os.WriteFile(nsFile, []byte("from-sa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     string
		saFile  string // in-cluster namespace file; empty means none
		want    func(o *options) any
		wantVal any
		wantErr bool
	}{
		{name: "all namespaces by default", want: func(o *options) any { return o.namespaces }, wantVal: []string(nil)},
		{name: "namespace list", args: []string{"--namespaces=a, b,,c"}, want: func(o *options) any { return o.namespaces }, wantVal: []string{"a", "b", "c"}},
		{name: "leader election off by default", want: func(o *options) any { return o.leaderElect }, wantVal: false},
		{name: "no lease namespace needed without leader election", want: func(o *options) any { return o.leaseNamespace }, wantVal: ""},
		{name: "lease namespace from pod", args: []string{"--leader-elect"}, env: "ops", want: func(o *options) any { return o.leaseNamespace }, wantVal: "ops"},
		{name: "lease namespace from service account", args: []string{"--leader-elect"}, saFile: nsFile, want: func(o *options) any { return o.leaseNamespace }, wantVal: "from-sa"},
		{name: "lease namespace flag wins", args: []string{"--leader-elect", "--leader-elect-resource-namespace=x"}, env: "ops", want: func(o *options) any { return o.leaseNamespace }, wantVal: "x"},
		{name: "leader election out of cluster needs a namespace", args: []string{"--leader-elect"}, wantErr: true},
		{name: "text logs by default", want: func(o *options) any { return o.logFormat }, wantVal: "text"},
		{name: "json logs at klog's verbosity", args: []string{"--log-format=json", "-v=3"}, want: func(o *options) any { return o.logFormat + "@" + o.logVerbosity }, wantVal: "json@3"},
		{name: "unknown log format", args: []string{"--log-format=xml"}, wantErr: true},
		{name: "lease name", args: []string{"--leader-elect-resource-name=op2"}, want: func(o *options) any { return o.leaseName }, wantVal: "op2"},
		{name: "old lease name flag still works", args: []string{"--leader-elect-lease-name=op3"}, want: func(o *options) any { return o.leaseName }, wantVal: "op3"},
		{name: "lease timings", args: []string{"--leader-elect", "--leader-elect-resource-namespace=x", "--leader-elect-lease-duration=30s", "--leader-elect-renew-deadline=20s", "--leader-elect-retry-period=5s"},
			want: func(o *options) any { return []time.Duration{o.leaseDuration, o.renewDeadline, o.retryPeriod} }, wantVal: []time.Duration{30 * time.Second, 20 * time.Second, 5 * time.Second}},
		{name: "renew deadline not below lease duration", args: []string{"--leader-elect", "--leader-elect-resource-namespace=x", "--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=10s"}, wantErr: true},
		{name: "retry period too close to renew deadline", args: []string{"--leader-elect", "--leader-elect-resource-namespace=x", "--leader-elect-retry-period=9s"}, wantErr: true},
		{name: "placeholder default", want: func(o *options) any { return o.collectorIDPlaceholder }, wantVal: "$POD_NAME"},
		{name: "ta image follows the version", want: func(o *options) any { return o.targetAllocatorImage }, wantVal: "ghcr.io/otelcol-operator/target-allocator:" + version.ImageTag()},
		{name: "klog flags", args: []string{"--v=4"}, want: func(o *options) any { return o.workers }, wantVal: 2},
		{name: "no workers", args: []string{"--workers=0"}, wantErr: true},
		{name: "single-dash long flags are not GNU style", args: []string{"-workers=3"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tt.env)
			old := inClusterNamespaceFile
			inClusterNamespaceFile = filepath.Join(dir, "absent")
			if tt.saFile != "" {
				inClusterNamespaceFile = tt.saFile
			}
			t.Cleanup(func() { inClusterNamespaceFile = old })
			o, err := parseFlags(tt.args)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantVal, tt.want(o)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
