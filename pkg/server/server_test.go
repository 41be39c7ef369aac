package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// awkward job names: a ServiceMonitor job with slashes, a space, unicode and a literal '+'.
var jobNames = []string{"serviceMonitor/ns/name/0", "my job", "jöb-ü/名前", "a+b", "plain"}

func item(addr string) []byte {
	return []byte(`{"targets":["` + addr + `"],"labels":{"__address__":"` + addr + `"}}`)
}

// fixture: one allocator with two collectors and one target per job on a known collector.
func fixture(t testing.TB) (*allocator.Allocator, *Server, *prometheus.Registry, *atomic.Bool) {
	t.Helper()
	a, err := allocator.New(allocator.LeastWeighted, "")
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "col-0", PodIP: "10.0.0.1"}, {Name: "col-1", PodIP: "10.0.0.2"}})
	for i, j := range jobNames {
		a.Apply(target.JobChange{Job: j, Upsert: []*target.Target{{Hash: uint64(i + 1), Address: "h:1", Item: item("h:1")}}})
	}
	a.Apply(target.JobChange{Job: "empty"})
	reg := prometheus.NewRegistry()
	ready := &atomic.Bool{}
	ready.Store(true)
	s, err := New(Options{
		Snapshot:      a.Snapshot,
		ScrapeConfigs: func() []byte { return []byte(`{"plain":{"job_name":"plain"}}`) },
		Ready:         ready.Load,
		Registerer:    reg,
		Gatherer:      reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, s, reg, ready
}

func fetch(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func TestHTTPSD(t *testing.T) {
	a, s, _, _ := fixture(t)
	snap := a.Snapshot()
	for _, job := range jobNames {
		owner := ""
		for _, c := range snap.Collectors() {
			if snap.Count(job, c.Name) == 1 {
				owner = c.Name
			}
		}
		tests := []struct {
			collector string
			want      string
		}{
			{owner, "[" + string(item("h:1")) + "]"},
			{"nobody", "[]"},
			{"", "[]"},
			{"$POD_NAME", "[]"},
		}
		for _, tc := range tests {
			u := "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=" + url.QueryEscape(tc.collector)
			rec := fetch(t, s, u)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("GET %s: %d %q", u, rec.Code, rec.Header().Get("Content-Type"))
			}
			if got := rec.Body.String(); got != tc.want {
				t.Errorf("GET %s = %s, want %s", u, got, tc.want)
			}
		}
	}
	for _, u := range []string{"/jobs/unknown/targets?collector_id=col-0", "/jobs/empty/targets?collector_id=col-0"} {
		if rec := fetch(t, s, u); rec.Code != 200 || rec.Body.String() != "[]" {
			t.Errorf("GET %s = %d %s, want 200 []", u, rec.Code, rec.Body)
		}
	}
}

func TestJobs(t *testing.T) {
	_, s, _, _ := fixture(t)
	rec := fetch(t, s, "/jobs")
	var got map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /jobs: %v %q: %s", err, rec.Header().Get("Content-Type"), rec.Body)
	}
	want := map[string]map[string]string{"empty": {"_link": "/jobs/empty/targets"}}
	for _, j := range jobNames {
		want[j] = map[string]string{"_link": "/jobs/" + url.QueryEscape(j) + "/targets"}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/jobs (-want +got):\n%s", diff)
	}
	// Every link leads back to its job.
	for j, v := range got {
		if j == "empty" {
			continue
		}
		if rec := fetch(t, s, v["_link"]); !strings.Contains(rec.Body.String(), "h:1") {
			t.Errorf("link %s of %q: %s", v["_link"], j, rec.Body)
		}
	}
}

func TestDebugTargets(t *testing.T) {
	a, s, _, _ := fixture(t)
	job := "serviceMonitor/ns/name/0"
	rec := fetch(t, s, "/jobs/"+url.QueryEscape(job)+"/targets")
	type entry struct {
		Link    string            `json:"_link"`
		Targets []json.RawMessage `json:"targets"`
	}
	var got map[string]entry
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	want := map[string]entry{}
	for _, c := range a.Snapshot().Collectors() {
		e := entry{Link: "/jobs/serviceMonitor%2Fns%2Fname%2F0/targets?collector_id=" + c.Name, Targets: []json.RawMessage{}}
		if a.Snapshot().Count(job, c.Name) == 1 {
			e.Targets = []json.RawMessage{item("h:1")}
		}
		want[c.Name] = e
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("debug map (-want +got):\n%s", diff)
	}
}

func TestErrorsAreJSON(t *testing.T) {
	_, s, _, _ := fixture(t)
	// A bad escape cannot pass net/http's request parsing, so it reaches the handler only from an in-process
	// caller; build such a request by hand.
	bad := httptest.NewRequest(http.MethodGet, "/jobs/x/targets?collector_id=a", nil)
	bad.URL.RawPath = "/jobs/%zz/targets"
	tests := []struct {
		name string
		req  *http.Request
		code int
	}{
		{"bad escape", bad, 400},
		{"unknown route", httptest.NewRequest(http.MethodGet, "/nope", nil), 404},
		{"wrong method", httptest.NewRequest(http.MethodPost, "/jobs", nil), 405},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, tc.req)
		var body struct{ Error string }
		if rec.Code != tc.code || rec.Header().Get("Content-Type") != "application/json" ||
			json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error == "" {
			t.Errorf("%s: %d %q %s; want %d with a JSON error", tc.name, rec.Code, rec.Header().Get("Content-Type"),
				rec.Body, tc.code)
		}
	}
}

func TestRealServerEscaping(t *testing.T) {
	// Through a real listener, raw paths arrive as sent: '+' is a space, %2B a plus, %2F a slash.
	_, s, _, _ := fixture(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, job := range jobNames {
		resp, err := http.Get(srv.URL + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=col-0")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp2, err := http.Get(srv.URL + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=col-1")
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := io.ReadAll(resp2.Body)
		resp2.Body.Close()
		if resp.StatusCode != 200 || string(b)+string(b2) != "[]["+string(item("h:1"))+"]" &&
			string(b)+string(b2) != "["+string(item("h:1"))+"][]" {
			t.Errorf("job %q: %d %s / %s", job, resp.StatusCode, b, b2)
		}
	}
}

func TestHealthAndScrapeConfigs(t *testing.T) {
	_, s, _, ready := fixture(t)
	ready.Store(false)
	if rec := fetch(t, s, "/livez"); rec.Code != 200 {
		t.Errorf("/livez = %d", rec.Code)
	}
	if rec := fetch(t, s, "/readyz"); rec.Code != 503 {
		t.Errorf("/readyz before ready = %d, want 503", rec.Code)
	}
	ready.Store(true)
	if rec := fetch(t, s, "/readyz"); rec.Code != 200 {
		t.Errorf("/readyz when ready = %d, want 200", rec.Code)
	}
	rec := fetch(t, s, "/scrape_configs")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Body.String() != `{"plain":{"job_name":"plain"}}` {
		t.Errorf("/scrape_configs = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestMetrics(t *testing.T) {
	_, s, _, _ := fixture(t)
	fetch(t, s, "/jobs/plain/targets?collector_id=col-0")
	body := fetch(t, s, "/metrics").Body.String()
	for _, want := range []string{
		"# TYPE opentelemetry_allocator_targets_per_collector gauge",
		`opentelemetry_allocator_targets_per_collector{collector_name="col-0",strategy="least-weighted"} 3`,
		`opentelemetry_allocator_collectors_allocatable{strategy="least-weighted"} 2`,
		"opentelemetry_allocator_targets_unassigned 0\n",
		"opentelemetry_allocator_targets_remaining 5\n",
		"# TYPE opentelemetry_allocator_time_to_allocate histogram",
		`opentelemetry_allocator_time_to_allocate_count{method="SetTargets",strategy="least-weighted"} 6`,
		`opentelemetry_allocator_time_to_allocate_count{method="SetCollectors",strategy="least-weighted"} 1`,
		"opentelemetry_allocator_process_targets_duration_seconds_count 6\n",
		"# TYPE opentelemetry_allocator_http_duration_seconds histogram",
		`opentelemetry_allocator_http_duration_seconds_count{path="/jobs/:job_id/targets"} 1`,
		`targetallocator_http_request_duration_seconds_count{code="200",method="GET",route="/jobs/{job}/targets"} 1`,
		"targetallocator_generation ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestDebugPage(t *testing.T) {
	a, s, _, _ := fixture(t)
	a.Apply(target.JobChange{Job: "<script>alert(1)</script>"})
	rec := fetch(t, s, "/")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("/ = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"col-0", "10.0.0.2", "serviceMonitor/ns/name/0", "&lt;script&gt;", "least-weighted"} {
		if !strings.Contains(body, want) {
			t.Errorf("debug page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("debug page does not escape job names")
	}
}

func TestNewRequiresSnapshot(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without Snapshot: no error")
	}
}

func TestRealServerRejectsBadEscape(t *testing.T) {
	// net/http refuses a malformed escape before any handler runs (its own 400); the handler's JSON 400 covers
	// requests built in-process (TestErrorsAreJSON). This pins that the request never reaches us as garbage.
	_, s, _, _ := fixture(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /jobs/%zz/targets?collector_id=col-0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad escape over the wire: %d, want 400", resp.StatusCode)
	}
}
