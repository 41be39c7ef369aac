package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// A collector reaching a TA that is not ready must not get an empty 200 list (it would drop its targets): target
// routes and /scrape_configs answer 503 with a JSON error until every check passes.
func TestTargetRoutesAnswer503UntilReady(t *testing.T) {
	a, err := allocator.New(allocator.ConsistentHashing, "")
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "col-0"}})
	a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{{Hash: 1, Address: "h:1", Item: item("h:1")}}})
	var collectors, discovery atomic.Bool
	var sources atomic.Pointer[error]
	s, err := New(Options{
		Snapshot:      a.Snapshot,
		ScrapeConfigs: func() []byte { return []byte(`{"j":{}}`) },
		ReadyChecks: []ReadyCheck{
			{Name: "collectors-synced", Ready: collectors.Load},
			{Name: "discovery-first-update", Ready: discovery.Load},
			{Name: "prometheus-cr-sources", Ready: func() bool { return true }, Degraded: func() error {
				if e := sources.Load(); e != nil {
					return *e
				}
				return nil
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	routes := []string{"/jobs/j/targets?collector_id=col-0", "/jobs/j/targets", "/scrape_configs",
		"/jobs/" + url.QueryEscape("a/b") + "/targets?collector_id=col-0"}
	collectors.Store(true)
	for _, u := range routes {
		rec := fetch(t, s, u)
		var body struct{ Error string }
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/json" ||
			json.Unmarshal(rec.Body.Bytes(), &body) != nil || !strings.Contains(body.Error, "discovery-first-update") {
			t.Errorf("GET %s before ready = %d %q %s, want 503 JSON naming the failing check", u, rec.Code,
				rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	rec := fetch(t, s, "/readyz?verbose")
	if want := "[+]collectors-synced ok\n[-]discovery-first-update failed: not ready\n[+]prometheus-cr-sources ok\nreadyz check failed\n"; rec.Code != 503 || rec.Body.String() != want {
		t.Errorf("/readyz?verbose = %d %q, want 503 %q", rec.Code, rec.Body, want)
	}
	discovery.Store(true)
	for _, u := range routes[:3] {
		if rec := fetch(t, s, u); rec.Code != 200 {
			t.Errorf("GET %s when ready = %d %s", u, rec.Code, rec.Body)
		}
	}
	// A source the TA gave up waiting for is named beside its passing check, and keeps the TA ready.
	e := errors.New("PodMonitor: forbidden:\n  pods.monitoring.coreos.com is forbidden")
	sources.Store(&e)
	rec = fetch(t, s, "/readyz?verbose")
	if want := "[+]collectors-synced ok\n[+]discovery-first-update ok\n[+]prometheus-cr-sources ok, degraded: PodMonitor: forbidden: pods.monitoring.coreos.com is forbidden\nreadyz check passed\n"; rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("/readyz?verbose = %d %q, want 200 %q", rec.Code, rec.Body, want)
	}
	if rec := fetch(t, s, "/readyz"); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Errorf("/readyz = %d %q", rec.Code, rec.Body)
	}
}
