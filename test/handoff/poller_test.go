package handoff_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	commonconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery"
	httpsd "github.com/prometheus/prometheus/discovery/http"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

// poller is one collector's http_sd client: Prometheus' own Discoverer, run as a collector's Prometheus receiver
// runs it, delivering every refreshed list to the recorder.
type poller struct {
	rec    *recorder
	ci     int
	cancel context.CancelFunc
	done   chan struct{}
}

// startPoller starts collector ci's Discoverer after delay (its phase). Its connections leave from podIP, the
// collector's pod IP, which is how the target allocator tells who fetched. With several target allocators, the
// client's dialer sends the n-th connection to allocator (n-1) mod len(tas) and keep-alives are off, so that each
// refresh opens one connection: odd refreshes reach the first allocator, even ones the second. That is the worst
// case of a Service balancing connections over the allocators, with Prometheus' client, ticker and headers
// unchanged; only the address it dials is chosen here.
func startPoller(t *testing.T, rec *recorder, ci int, podIP string, tas []string, job, collectorID string, interval, delay time.Duration) *poller {
	t.Helper()
	hosts := make([]string, len(tas))
	for i, base := range tas {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		hosts[i] = u.Host
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(podIP)}, Timeout: 5 * time.Second}
	var dials atomic.Int64
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		ta := int((dials.Add(1) - 1) % int64(len(hosts)))
		rec.dialed(ci, ta)
		return dialer.DialContext(ctx, network, hosts[ta])
	}
	opts := []commonconfig.HTTPClientOption{commonconfig.WithDialContextFunc(dial)}
	if len(hosts) > 1 {
		opts = append(opts, commonconfig.WithKeepAlivesDisabled())
	}
	reg := prometheus.NewRegistry()
	cfg := &httpsd.SDConfig{
		URL:              taprocess.TargetsURL(tas[0], job, collectorID),
		RefreshInterval:  model.Duration(interval),
		HTTPClientConfig: commonconfig.DefaultHTTPClientConfig,
	}
	d, err := httpsd.NewDiscovery(cfg, discovery.DiscovererOptions{
		Logger:            slog.New(&failureHandler{rec: rec, ci: ci}),
		Metrics:           cfg.NewDiscovererMetrics(reg, discovery.NewRefreshMetrics(reg)),
		HTTPClientOptions: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller{rec: rec, ci: ci, cancel: cancel, done: make(chan struct{})}
	rec.setLive(ci, true)
	go func() {
		defer close(p.done)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		ch := make(chan []*targetgroup.Group)
		ran := make(chan struct{})
		go func() { defer close(ran); d.Run(ctx, ch) }()
		for {
			select {
			case groups := <-ch:
				rec.update(ci, addresses(groups))
			case <-ctx.Done():
				<-ran
				return
			}
		}
	}()
	t.Cleanup(p.stop)
	return p
}

// stop ends the collector's polling; from then on its list no longer counts.
func (p *poller) stop() {
	p.cancel()
	<-p.done
	p.rec.setLive(p.ci, false)
}

// addresses is the collector's whole list: a refresh delivers every group of the URL (and empty ones for groups
// that disappeared), so the union of one delivery is all the collector scrapes.
func addresses(groups []*targetgroup.Group) []string {
	var out []string
	for _, g := range groups {
		for _, tgt := range g.Targets {
			out = append(out, string(tgt[model.AddressLabel]))
		}
	}
	return out
}

// failureHandler counts the refreshes the Discoverer reports as failed; a failed refresh leaves the collector
// with its previous list, which the figures then reflect.
type failureHandler struct {
	rec   *recorder
	ci    int
	attrs []slog.Attr
}

func (h *failureHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *failureHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range h.attrs {
		b.WriteString(" " + a.String())
	}
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.rec.refreshFailed(h.ci, b.String())
	return nil
}

func (h *failureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &failureHandler{rec: h.rec, ci: h.ci, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *failureHandler) WithGroup(string) slog.Handler { return h }
