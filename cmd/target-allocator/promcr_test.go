package main

import (
	"slices"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// secret_namespaces (the reference's key, written by an admin) adds namespaces whose Secrets monitors may
// reference; the collector's own is always one, and nothing else is.
func TestSecretNamespaces(t *testing.T) {
	cfg := &taconfig.Config{CollectorNamespace: "obs"}
	if got := secretNamespaces(cfg); !slices.Equal(got, []string{"obs"}) {
		t.Errorf("without secret_namespaces: %v, want [obs]", got)
	}
	cfg.PrometheusCR.SecretNamespaces = []string{"shared-creds", "obs", "", "shared-creds", "a"}
	if got := secretNamespaces(cfg); !slices.Equal(got, []string{"a", "obs", "shared-creds"}) {
		t.Errorf("with secret_namespaces: %v, want [a obs shared-creds]", got)
	}
}
