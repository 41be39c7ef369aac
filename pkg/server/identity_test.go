package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

const idJob = "serviceMonitor/ns/app/0"

// idCollectors: two pods with their own IPs, two sharing one (not unique), one without an IP yet.
var idCollectors = []target.Collector{
	{Name: "col-a", PodIP: "127.0.0.11"},
	{Name: "col-b", PodIP: "127.0.0.12"},
	{Name: "col-c", PodIP: "127.0.0.13"},
	{Name: "col-d", PodIP: "127.0.0.13"},
	{Name: "col-e"},
}

// idFixture spreads 200 targets of one job over idCollectors with consistent hashing.
func idFixture(t testing.TB) (*allocator.Allocator, *Server) {
	t.Helper()
	a, err := allocator.New("", "")
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors(idCollectors)
	ts := make([]*target.Target, 200)
	for i := range ts {
		addr := fmt.Sprintf("10.9.0.%d:8080", i)
		ts[i] = &target.Target{Hash: uint64(i+1) * 0x9e3779b97f4a7c15, Address: addr, Item: item(addr)}
	}
	a.Apply(target.JobChange{Job: idJob, Upsert: ts})
	for _, c := range []string{"col-a", "col-b"} {
		if a.Snapshot().Count(idJob, c) == 0 {
			t.Fatalf("fixture: %s has no targets; the tests below would prove nothing", c)
		}
	}
	reg := prometheus.NewRegistry()
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

// ask requests idJob's targets for id from the source address remote; ctx carries the logger, when not nil.
func ask(t *testing.T, ctx context.Context, h http.Handler, id, remote string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/jobs/"+url.QueryEscape(idJob)+"/targets?collector_id="+url.QueryEscape(id), nil)
	req.RemoteAddr = remote
	if ctx != nil {
		req = req.WithContext(ctx)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("id %q from %s: %d %q", id, remote, rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.String()
}

func metricsBody(t *testing.T, s *Server) string {
	t.Helper()
	return fetch(t, s, "/metrics").Body.String()
}

func TestFallbackServesThePodAtTheSourceIP(t *testing.T) {
	a, s := idFixture(t)
	snap := a.Snapshot()
	for _, id := range []string{"$POD_NAME", "${env:POD_NAME}", "${POD_NAME}", "", "nobody"} {
		for _, tc := range []struct{ remote, pod string }{
			{"127.0.0.11:5555", "col-a"},
			{"127.0.0.12:41000", "col-b"},
			{"[::ffff:127.0.0.12]:5555", "col-b"}, // a dual-stack listener reports IPv4 peers this way
		} {
			if got, want := ask(t, nil, s, id, tc.remote), snap.Response(idJob, tc.pod); got != want {
				t.Errorf("id %q from %s: got %.60s..., want %s's share %.60s...", id, tc.remote, got, tc.pod, want)
			}
		}
	}
	body := metricsBody(t, s)
	for _, want := range []string{
		`targetallocator_collector_id_fallbacks_total{collector_name="col-a",reason="placeholder"} 3`,
		`targetallocator_collector_id_fallbacks_total{collector_name="col-a",reason="empty"} 1`,
		`targetallocator_collector_id_fallbacks_total{collector_name="col-a",reason="unknown"} 1`,
		`targetallocator_collector_id_fallbacks_total{collector_name="col-b",reason="placeholder"} 6`,
		`targetallocator_collector_id_unmatched_total{reason="placeholder"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if got := s.ids.unknownCallers(); len(got) != 0 {
		t.Errorf("served callers listed as unknown: %+v", got)
	}
}

func TestRealIDWinsOverSourceIP(t *testing.T) {
	a, s := idFixture(t)
	snap := a.Snapshot()
	for _, tc := range []struct{ id, remote string }{
		{"col-a", "127.0.0.11:5555"},
		{"col-b", "127.0.0.11:5555"}, // another pod's valid name: that name's share, as in the reference
		{"col-c", "127.0.0.13:5555"},
		{"col-e", "192.0.2.7:4000"},
	} {
		if got, want := ask(t, nil, s, tc.id, tc.remote), snap.Response(idJob, tc.id); got != want {
			t.Errorf("id %q from %s: got %.60s..., want %.60s...", tc.id, tc.remote, got, want)
		}
	}
	body := metricsBody(t, s)
	if strings.Contains(body, "targetallocator_collector_id_fallbacks_total{") {
		t.Errorf("a valid id was counted as a fallback:\n%s", body)
	}
	for _, r := range reasonNames {
		if w := `targetallocator_collector_id_unmatched_total{reason="` + r + `"} 0`; !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s: a valid id was counted as a miss", w)
		}
	}
	if got := s.ids.unknownCallers(); len(got) != 0 {
		t.Errorf("valid ids listed as unknown: %+v", got)
	}
}

func TestUnmatchedCallersAreVisible(t *testing.T) {
	_, s := idFixture(t)
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	clock := t0
	s.ids.now = func() time.Time { return clock }

	forged := httptest.NewRequest(http.MethodGet, "/jobs/"+url.QueryEscape(idJob)+"/targets?collector_id=$POD_NAME", nil)
	forged.RemoteAddr = "192.0.2.7:4000"
	forged.Header.Set("X-Forwarded-For", "127.0.0.11") // a pod's IP in a header proves nothing
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, forged)
	clock = clock.Add(time.Second)
	for _, tc := range []struct{ id, remote string }{
		{"$POD_NAME", "192.0.2.7:4001"},  // no pod has this IP
		{"$POD_NAME", "127.0.0.13:5555"}, // two pods have it: not unique
		{"", "[2001:db8::1]:80"},
		{"gone-pod", "127.0.0.99:1"},
	} {
		if got := ask(t, nil, s, tc.id, tc.remote); got != "[]" {
			t.Errorf("id %q from %s = %.60s..., want []", tc.id, tc.remote, got)
		}
	}
	if rec.Body.String() != "[]" {
		t.Errorf("X-Forwarded-For was trusted: %.60s...", rec.Body)
	}

	t1 := t0.Add(time.Second)
	want := []unknownCaller{
		{CollectorID: "", SourceIP: "2001:db8::1", Reason: "empty", LastJob: idJob, Requests: 1, FirstSeen: t1, LastSeen: t1},
		{CollectorID: "$POD_NAME", SourceIP: "127.0.0.13", Reason: "placeholder", PodsWithIP: 2, LastJob: idJob, Requests: 1, FirstSeen: t1, LastSeen: t1},
		{CollectorID: "$POD_NAME", SourceIP: "192.0.2.7", Reason: "placeholder", LastJob: idJob, Requests: 2, FirstSeen: t0, LastSeen: t1},
		{CollectorID: "gone-pod", SourceIP: "127.0.0.99", Reason: "unknown", LastJob: idJob, Requests: 1, FirstSeen: t1, LastSeen: t1},
	}
	rec = fetch(t, s, "/debug/unknown-collectors")
	var got []unknownCaller
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("/debug/unknown-collectors: %v %q: %s", err, rec.Header().Get("Content-Type"), rec.Body)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/debug/unknown-collectors (-want +got):\n%s", diff)
	}

	page := fetch(t, s, "/").Body.String()
	for _, w := range []string{"Unknown callers", "$POD_NAME", "192.0.2.7", "127.0.0.13", "gone-pod", "2001:db8::1", "2026-11-25 01:00:01Z"} {
		if !strings.Contains(page, w) {
			t.Errorf("debug page lacks %q", w)
		}
	}
	body := metricsBody(t, s)
	for _, w := range []string{
		`targetallocator_collector_id_unmatched_total{reason="placeholder"} 3`,
		`targetallocator_collector_id_unmatched_total{reason="empty"} 1`,
		`targetallocator_collector_id_unmatched_total{reason="unknown"} 1`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	if strings.Contains(body, "targetallocator_collector_id_fallbacks_total{") {
		t.Errorf("unmatched requests counted as fallbacks")
	}
}

// logLines collects the messages logged through a request's context logger.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) ctx() context.Context {
	return klog.NewContext(context.Background(), funcr.New(func(prefix, args string) {
		l.mu.Lock()
		l.lines = append(l.lines, args)
		l.mu.Unlock()
	}, funcr.Options{}))
}

func (l *logLines) count(subs ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			n++
		}
	}
	return n
}

func TestLogsOncePerPodAndPerUnknownID(t *testing.T) {
	_, s := idFixture(t)
	var logs logLines
	ctx := logs.ctx()
	for range 3 {
		for _, id := range []string{"$POD_NAME", "", "nobody"} {
			ask(t, ctx, s, id, "127.0.0.11:5555")
			ask(t, ctx, s, id, "127.0.0.12:5555")
		}
		ask(t, ctx, s, "ghost", "192.0.2.7:1")
		ask(t, ctx, s, "ghost", "192.0.2.8:1")
		ask(t, ctx, s, "${env:POD_NAME}", "192.0.2.7:1")
		ask(t, ctx, s, "col-a", "127.0.0.12:5555") // valid: never logged
	}
	for _, tc := range []struct {
		subs []string
		want int
	}{
		{[]string{`"collector"="col-a"`, "serving the collector whose pod IP"}, 1},
		{[]string{`"collector"="col-b"`, "serving the collector whose pod IP"}, 1},
		{[]string{`"collectorID"="ghost"`, "serving an empty list"}, 1},
		{[]string{`"collectorID"="${env:POD_NAME}"`, "serving an empty list", "${env:POD_NAME} (operator flag"}, 1},
	} {
		if got := logs.count(tc.subs...); got != tc.want {
			t.Errorf("log lines with %q: %d, want %d", tc.subs, got, tc.want)
		}
	}
	if len(logs.lines) != 4 {
		t.Errorf("%d log lines, want 4:\n%s", len(logs.lines), strings.Join(logs.lines, "\n"))
	}
}

func TestUnknownCallersTableIsBounded(t *testing.T) {
	_, s := idFixture(t)
	clock := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	s.ids.now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	long := strings.Repeat("x", 10_000)
	for i := range 150 {
		ask(t, nil, s, fmt.Sprintf("id-%03d", i), "192.0.2.7:1")
	}
	ask(t, nil, s, long, "192.0.2.7:1")
	got := s.ids.unknownCallers()
	if len(got) != maxUnknownCallers {
		t.Fatalf("%d callers kept, want %d", len(got), maxUnknownCallers)
	}
	if id := got[0].CollectorID; len(id) > maxTextLen+len("…") || !strings.HasPrefix(id, "xxx") {
		t.Errorf("newest id kept as %d bytes %.20q, want it cut to about %d", len(id), id, maxTextLen)
	}
	if got[1].CollectorID != "id-149" || got[len(got)-1].CollectorID != "id-051" {
		t.Errorf("kept %q..%q, want the most recent: id-149..id-051", got[1].CollectorID, got[len(got)-1].CollectorID)
	}
	s.ids.mu.Lock()
	logged := len(s.ids.loggedIDs)
	s.ids.mu.Unlock()
	if logged > maxLoggedIDs {
		t.Errorf("%d logged ids remembered, cap %d", logged, maxLoggedIDs)
	}
}

func TestFallbackFollowsCollectorChanges(t *testing.T) {
	a, s := idFixture(t)
	if got := ask(t, nil, s, "$POD_NAME", "127.0.0.21:1"); got != "[]" {
		t.Fatalf("before the move: %.60s...", got)
	}
	// col-a restarts with a new IP; col-c leaves, so col-d's IP becomes unique.
	a.SetCollectors([]target.Collector{
		{Name: "col-a", PodIP: "127.0.0.21"}, {Name: "col-b", PodIP: "127.0.0.12"}, {Name: "col-d", PodIP: "127.0.0.13"},
	})
	snap := a.Snapshot()
	for _, tc := range []struct{ remote, want string }{
		{"127.0.0.21:1", snap.Response(idJob, "col-a")},
		{"127.0.0.11:1", "[]"},
		{"127.0.0.13:1", snap.Response(idJob, "col-d")},
	} {
		if got := ask(t, nil, s, "$POD_NAME", tc.remote); got != tc.want {
			t.Errorf("from %s: %.60s..., want %.60s...", tc.remote, got, tc.want)
		}
	}
	// col-c is gone: its series must not linger (it never had one) and col-d's appears.
	body := metricsBody(t, s)
	if !strings.Contains(body, `targetallocator_collector_id_fallbacks_total{collector_name="col-d",reason="placeholder"} 1`) {
		t.Errorf("/metrics lacks col-d's fallback:\n%s", body)
	}
	a.SetCollectors([]target.Collector{{Name: "col-b", PodIP: "127.0.0.12"}})
	if body := metricsBody(t, s); strings.Contains(body, `collector_name="col-a",reason`) {
		t.Errorf("a gone collector keeps its fallback series")
	}
}

// TestIdentityConcurrent runs fallbacks, misses, collector changes and every view at once; run with -race.
func TestIdentityConcurrent(t *testing.T) {
	a, s := idFixture(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				switch (g + i) % 6 {
				case 0:
					ask(t, nil, s, "$POD_NAME", fmt.Sprintf("127.0.0.%d:1", 11+i%3))
				case 1:
					ask(t, nil, s, fmt.Sprintf("ghost-%d", i), fmt.Sprintf("192.0.2.%d:1", i%250))
				case 2:
					fetch(t, s, "/")
				case 3:
					fetch(t, s, "/debug/unknown-collectors")
				case 4:
					fetch(t, s, "/metrics")
				case 5:
					cs := idCollectors
					if i%2 == 0 {
						cs = cs[:3]
					}
					a.SetCollectors(cs)
				}
			}
		})
	}
	wg.Wait()
	if n := len(s.ids.unknownCallers()); n > maxUnknownCallers {
		t.Errorf("%d callers kept, cap %d", n, maxUnknownCallers)
	}
}
