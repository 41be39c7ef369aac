package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// handoffFixture: two collectors with 300 targets under make-before-break, then a third joins, so some
// targets are held by their previous owners until the newcomer fetches them.
func handoffFixture(t *testing.T) (*allocator.Allocator, *Server, []target.Collector) {
	t.Helper()
	a, err := allocator.New("", "", allocator.WithHandoff(allocator.DefaultHandoff()))
	if err != nil {
		t.Fatal(err)
	}
	cs := []target.Collector{{Name: "col-a", PodIP: "127.0.0.11"}, {Name: "col-b", PodIP: "127.0.0.12"}}
	a.SetCollectors(cs)
	ts := make([]*target.Target, 300)
	for i := range ts {
		addr := fmt.Sprintf("10.9.0.%d:8080", i)
		ts[i] = &target.Target{Hash: uint64(i+1) * 0x9e3779b97f4a7c15, Address: addr, Item: item(addr)}
	}
	a.Apply(target.JobChange{Job: idJob, Upsert: ts})
	cs = append(cs, target.Collector{Name: "col-c", PodIP: "127.0.0.13"})
	a.SetCollectors(cs)
	reg := prometheus.NewRegistry()
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: reg, Gatherer: reg, Fetched: a.ObserveFetch})
	if err != nil {
		t.Fatal(err)
	}
	if held, _, _, _, _ := a.Snapshot().HandoffStats(); held == 0 {
		t.Fatal("fixture: nothing is held after col-c joined; the tests below would prove nothing")
	}
	return a, s, cs
}

func held(a *allocator.Allocator) int { h, _, _, _, _ := a.Snapshot().HandoffStats(); return h }

func pollAs(t *testing.T, s http.Handler, id, remote, interval string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, jobLink(idJob)+"?collector_id="+id, nil)
	r.RemoteAddr = remote
	if interval != "" {
		r.Header.Set(RefreshIntervalHeader, interval)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: status %d", id, w.Code)
	}
	return w.Body.String()
}

// A fetch in the new owner's name from another address must not end the handoff: the previous owners would
// drop targets the real collector has not fetched.
func TestForgedFetchDoesNotEndHandoff(t *testing.T) {
	a, s, _ := handoffFixture(t)
	before := held(a)
	for _, remote := range []string{"127.0.0.99:4000", "127.0.0.11:4000", "[::1]:4000", "bogus"} {
		pollAs(t, s, "col-c", remote, "1")
	}
	if got := held(a); got != before {
		t.Fatalf("held %d -> %d after fetches in col-c's name from other addresses", before, got)
	}
	// The old owners still serve what they hold.
	if n := strings.Count(pollAs(t, s, "col-a", "127.0.0.11:4000", ""), `"targets"`) +
		strings.Count(pollAs(t, s, "col-b", "127.0.0.12:4000", ""), `"targets"`); n != 300 {
		t.Fatalf("col-a and col-b serve %d targets together during the handoff, want all 300", n)
	}
}

// The new owner's own fetch ends the handoff: the old owners' responses shrink to their own share.
func TestOwnFetchEndsHandoff(t *testing.T) {
	a, s, _ := handoffFixture(t)
	ownC := a.Snapshot().CollectorTargets("col-c")
	body := pollAs(t, s, "col-c", "127.0.0.13:5000", "30")
	if got := strings.Count(body, `"targets"`); got != ownC {
		t.Fatalf("col-c fetched %d targets, owns %d", got, ownC)
	}
	if got := held(a); got != 0 {
		t.Fatalf("%d targets still held after col-c fetched them from its pod IP", got)
	}
	for _, c := range []string{"col-a", "col-b"} {
		ip := map[string]string{"col-a": "127.0.0.11:1", "col-b": "127.0.0.12:1"}[c]
		if got, own := strings.Count(pollAs(t, s, c, ip, ""), `"targets"`), a.Snapshot().CollectorTargets(c); got != own {
			t.Fatalf("%s serves %d targets after the handoff, owns %d", c, got, own)
		}
	}
	if m := metricsBody(t, s); !strings.Contains(m, `targetallocator_handoffs_total{outcome="fetched"} `+fmt.Sprint(ownC)) {
		t.Fatalf("metrics do not count %d fetched handoffs:\n%s", ownC, grepLines(m, "handoff"))
	}
	if m := metricsBody(t, s); !strings.Contains(m, `targetallocator_handoff_duration_seconds_bucket{le="600"} `+fmt.Sprint(ownC)) {
		t.Fatalf("the handoff duration histogram does not hold %d observations on its bounds:\n%s", ownC, grepLines(m, "handoff_duration"))
	}
}

// A header cannot stretch holds: absurd or malformed values count as not announced.
func TestRefreshIntervalHeaderIsBounded(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"60": time.Minute, "0.5": 500 * time.Millisecond, "": 0, "0": 0, "-5": 0, "NaN": 0, "Inf": 0, "1e308": 0,
		"86401": 0, "86400": 24 * time.Hour, "12s": 0, strings.Repeat("9", 40): 0,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(RefreshIntervalHeader, v)
		if got := refreshInterval(r); got != want {
			t.Errorf("%q: %v, want %v", v, got, want)
		}
	}
}

func FuzzRefreshInterval(f *testing.F) {
	for _, s := range []string{"60", "0.001", "1e9", "-0", "0x10", "NaN", " 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(RefreshIntervalHeader, v)
		if d := refreshInterval(r); d < 0 || d > maxAnnouncedInterval {
			t.Fatalf("%q: %v out of range", v, d)
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
