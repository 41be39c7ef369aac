package targetallocator_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	commonconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery"
	httpsd "github.com/prometheus/prometheus/discovery/http"
)

// httpSD fetches url with Prometheus' own http_sd client, optionally from a given local IP, and returns the
// target addresses it yields, sorted.
func httpSD(ctx context.Context, t *testing.T, rawURL, localIP string) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := &httpsd.SDConfig{
		URL:              rawURL,
		RefreshInterval:  model.Duration(30 * time.Second),
		HTTPClientConfig: commonconfig.DefaultHTTPClientConfig,
	}
	opts := discovery.DiscovererOptions{Metrics: cfg.NewDiscovererMetrics(reg, discovery.NewRefreshMetrics(reg))}
	if localIP != "" {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 5 * time.Second}
		opts.HTTPClientOptions = []commonconfig.HTTPClientOption{commonconfig.WithDialContextFunc(dialer.DialContext)}
	}
	d, err := httpsd.NewDiscovery(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := d.Refresh(ctx)
	if err != nil {
		t.Fatalf("http_sd %s: %v", rawURL, err)
	}
	var addrs []string
	for _, g := range groups {
		for _, tgt := range g.Targets {
			addrs = append(addrs, string(tgt[model.AddressLabel]))
		}
	}
	sort.Strings(addrs)
	return addrs
}

func get(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func addrs(format string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	sort.Strings(out)
	return out
}
