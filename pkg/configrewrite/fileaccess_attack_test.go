package configrewrite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promconfig "github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/discovery"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// TestTenantCannotSendTheTAToken plays a CR author who wants the TA's service-account token: a kubernetes SD
// config whose api_server is the author's listener and whose credentials come from the token file of the TA pod.
// With the operator's default the config is refused, naming job and field, so no TA config exists to run. With
// the administrator's flag the same config reaches discovery, and the listener does receive the token: that is
// what the refusal prevents (and proves the listener would notice).
func TestTenantCannotSendTheTAToken(t *testing.T) {
	const token = "the-ta-service-account-token"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer api.Close()
	config := fmt.Sprintf(`receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: steal
          kubernetes_sd_configs:
            - role: pod
              api_server: %s
              authorization:
                credentials_file: %s
`, api.URL, tokenFile)

	_, err := configrewrite.RewriteCollectorConfig(config, configrewrite.Options{CollectorName: "c"})
	var e *configrewrite.Error
	if !errors.As(err, &e) || e.Kind != configrewrite.KindFileAccess {
		t.Fatalf("RewriteCollectorConfig: %v, want a %s error", err, configrewrite.KindFileAccess)
	}
	for _, want := range []string{`job "steal"`, "kubernetes_sd_configs[0].authorization.credentials_file", tokenFile} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if _, err := configrewrite.TargetAllocatorConfig(config, configrewrite.TAOptions{}); !errors.As(err, &e) || e.Kind != configrewrite.KindFileAccess {
		t.Fatalf("TargetAllocatorConfig: %v, want a %s error: the TA must get no config", err, configrewrite.KindFileAccess)
	}

	// The control: allowed, the TA's config sends the token.
	taFile, err := configrewrite.TargetAllocatorConfig(config, configrewrite.TAOptions{AllowFileAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	runDiscovery(t, taFile, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || got[0] != "Bearer "+token {
		t.Fatalf("with files allowed the listener got Authorization %q; the control cannot tell the attack from its absence", got)
	}
}

// runDiscovery runs the TA's discovery on the config part of a TA file until done or 20 s.
func runDiscovery(t *testing.T, taFile string, done func() bool) {
	t.Helper()
	var file struct {
		Config yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(taFile), &file); err != nil {
		t.Fatal(err)
	}
	text, err := yaml.Marshal(&file.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := promconfig.Load(string(text), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := discovery.New(ctx, discovery.Options{
		Registerer: prometheus.NewRegistry(),
		Sink:       func([]target.JobChange) {},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ApplyConfig(cfg.ScrapeConfigs); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-errc
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
