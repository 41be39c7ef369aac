package main

import (
	"github.com/otelcol-operator/otelcol-operator/pkg/version"

	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     string
		want    func(o *options) any
		wantVal any
		wantErr bool
	}{
		{name: "all namespaces by default", want: func(o *options) any { return o.namespaces }, wantVal: []string(nil)},
		{name: "namespace list", args: []string{"--namespaces=a, b,,c"}, want: func(o *options) any { return o.namespaces }, wantVal: []string{"a", "b", "c"}},
		{name: "lease namespace default", want: func(o *options) any { return o.leaseNamespace }, wantVal: "otelcol-operator-system"},
		{name: "lease namespace from pod", env: "ops", want: func(o *options) any { return o.leaseNamespace }, wantVal: "ops"},
		{name: "placeholder default", want: func(o *options) any { return o.collectorIDPlaceholder }, wantVal: "$POD_NAME"},
		{name: "ta image follows the version", want: func(o *options) any { return o.targetAllocatorImage }, wantVal: "ghcr.io/otelcol-operator/target-allocator:" + version.ImageTag()},
		{name: "no workers", args: []string{"--workers=0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tt.env)
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
