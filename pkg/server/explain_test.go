package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	promconfig "github.com/prometheus/prometheus/config"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

const explainJob = `job_name: web
relabel_configs:
- source_labels: [__meta_kubernetes_pod_label_app]
  regex: web
  action: keep
- target_label: team
  replacement: a
`

func explainFixture(t *testing.T, pprof bool) (*allocator.Allocator, *Server) {
	t.Helper()
	a, err := allocator.New(allocator.ConsistentHashing, "")
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "col-0", Node: "n0"}, {Name: "col-1", Node: "n1"}})
	items := map[string]string{
		"10.0.0.1:80": `{"targets":["10.0.0.1:80"],"labels":{"__address__":"10.0.0.1:80","__meta_kubernetes_pod_label_app":"web"}}`,
		"10.0.0.2:80": `{"targets":["10.0.0.2:80"],"labels":{"__address__":"10.0.0.2:80","__meta_kubernetes_pod_label_app":"db"}}`,
		"10.0.0.3:80": `{"targets":["10.0.0.3:80"],"labels":{"__address__":"10.0.0.3:80","__meta_kubernetes_pod_label_app":"<script>alert(1)</script>"}}`,
	}
	var ts []*target.Target
	h := uint64(1)
	for addr, item := range items {
		ts = append(ts, &target.Target{Hash: h, Address: addr, Item: []byte(item)})
		h++
	}
	a.Apply(target.JobChange{Job: "web", Upsert: ts}, target.JobChange{Job: "<b>x</b>"})
	var sc promconfig.ScrapeConfig
	if err := yamlUnmarshalStrict(explainJob, &sc); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Snapshot: a.Snapshot, Pprof: pprof, Origins: func(job string, hash uint64) []Origin {
		if job == "web" && hash == 1 {
			return []Origin{{Group: "g", Index: 0, Served: true}, {Group: "h", Index: 2}}
		}
		return nil
	}, ScrapeConfig: func(job string) *promconfig.ScrapeConfig {
		if job == "web" {
			return &sc
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return a, s
}

func yamlUnmarshalStrict(s string, sc *promconfig.ScrapeConfig) error {
	c, err := promconfig.Load("scrape_configs:\n"+indent(s), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	*sc = *c.ScrapeConfigs[0]
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "- " + l
		} else {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

type explainAnswer struct {
	Targets   []ExplainedTarget
	Truncated bool
}

func getExplain(t *testing.T, s http.Handler, query string) explainAnswer {
	t.Helper()
	rec := fetch(t, s, "/debug/target?"+query)
	var ans explainAnswer
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ans) != nil {
		t.Fatalf("GET /debug/target?%s = %d %s", query, rec.Code, rec.Body)
	}
	return ans
}

func TestExplainTarget(t *testing.T) {
	a, s := explainFixture(t, false)
	ans := getExplain(t, s, "address=10.0.0.1:80")
	if len(ans.Targets) != 1 {
		t.Fatalf("%d targets for one address", len(ans.Targets))
	}
	e := ans.Targets[0]
	if e.Job != "web" || e.DiscoveredLabels["__meta_kubernetes_pod_label_app"] != "web" || e.Outcome != "kept" ||
		len(e.Relabel) != 2 || e.Relabel[1].Labels["team"] != "a" || e.LastFetch != nil {
		t.Errorf("explained %+v", e)
	}
	// A fetch by the owning collector shows up with the generation it saw.
	fetch(t, s, "/jobs/web/targets?collector_id="+e.Collector)
	e = getExplain(t, s, "address=10.0.0.1:80").Targets[0]
	if e.LastFetch == nil || e.LastFetch.Generation != a.Snapshot().Generation() || time.Since(e.LastFetch.Time) > time.Minute {
		t.Errorf("last fetch %+v, want generation %d now", e.LastFetch, a.Snapshot().Generation())
	}
	// Origins come from discovery on request; two mean merged duplicates.
	merged := 0
	for _, addr := range []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"} {
		e := getExplain(t, s, "address="+addr).Targets[0]
		if want := e.Identity == "1"; e.Merged != want || (len(e.Origins) == 2) != want {
			t.Errorf("identity %s: merged %v origins %+v", e.Identity, e.Merged, e.Origins)
		}
		if e.Merged {
			merged++
		}
	}
	if merged != 1 {
		t.Errorf("%d merged targets, want 1", merged)
	}
	// The rule that drops a target under the current configuration is named.
	e = getExplain(t, s, "label=__meta_kubernetes_pod_label_app=db").Targets[0]
	if e.Address != "10.0.0.2:80" || !strings.Contains(e.Outcome, "relabel_configs[0]") || e.Relabel[0].Kept {
		t.Errorf("explained %+v", e)
	}
	if n := len(getExplain(t, s, "label=__meta_kubernetes_pod_label_app=none").Targets); n != 0 {
		t.Errorf("%d targets for a label nobody has", n)
	}
	if rec := fetch(t, s, "/debug/target"); rec.Code != 400 {
		t.Errorf("no query: %d", rec.Code)
	}
}

func TestCollectorAndJobViews(t *testing.T) {
	a, s := explainFixture(t, false)
	fetch(t, s, "/jobs/web/targets?collector_id=col-1")
	var col struct {
		Name string
		Jobs []CollectorJob
	}
	rec := fetch(t, s, "/debug/collector?name=col-1")
	if json.Unmarshal(rec.Body.Bytes(), &col) != nil || col.Name != "col-1" {
		t.Fatalf("/debug/collector: %d %s", rec.Code, rec.Body)
	}
	for _, j := range col.Jobs {
		if j.Job == "web" && (j.LastFetch == nil || j.Targets != a.Snapshot().Count("web", "col-1")) {
			t.Errorf("collector view of web: %+v", j)
		}
	}
	var job struct {
		Targets    int
		Collectors []JobCollector
	}
	rec = fetch(t, s, "/debug/job?name=web")
	if json.Unmarshal(rec.Body.Bytes(), &job) != nil || job.Targets != 3 || len(job.Collectors) != 2 {
		t.Fatalf("/debug/job: %d %s", rec.Code, rec.Body)
	}
	if job.Collectors[0].LastFetch != nil || job.Collectors[1].LastFetch == nil {
		t.Errorf("job view fetches %+v", job.Collectors)
	}
	if rec := fetch(t, s, "/debug/job?name=nope"); rec.Code != 404 {
		t.Errorf("unknown job: %d", rec.Code)
	}
	if rec := fetch(t, s, "/debug/collector?name=nope"); rec.Code != 404 {
		t.Errorf("unknown collector: %d", rec.Code)
	}
}

// Names and labels come from tenants (monitors, discovery); the HTML views must escape them.
func TestHTMLViewsEscapeTenantText(t *testing.T) {
	_, s := explainFixture(t, false)
	for _, u := range []string{"/jobs", "/debug/target?address=10.0.0.3:80", "/debug/job?name=" + url.QueryEscape("<b>x</b>"),
		"/debug/collector?name=col-0", "/scrape_configs"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		s.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET %s as HTML: %d %q", u, rec.Code, rec.Header().Get("Content-Type"))
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>x</b>") {
			t.Errorf("GET %s: tenant text unescaped:\n%s", u, body)
		}
	}
	// Without Accept: text/html the routes stay JSON (http_sd clients, scripts).
	if rec := fetch(t, s, "/jobs"); rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("/jobs without Accept: %q", rec.Header().Get("Content-Type"))
	}
}

// A caller cannot grow the fetch log by inventing job names or collector ids.
func TestFetchLogBounded(t *testing.T) {
	_, s := explainFixture(t, false)
	for i := range 3000 {
		fetch(t, s, "/jobs/"+url.QueryEscape("job-"+strings.Repeat("x", i%50)+string(rune('a'+i%26)))+"/targets?collector_id=col-0")
		fetch(t, s, "/jobs/web/targets?collector_id=pod-"+string(rune('a'+i%26)))
	}
	fetch(t, s, "/jobs/web/targets?collector_id=col-0")
	if n := s.fetches.size(); n != 1 {
		t.Errorf("fetch log holds %d pairs, want 1", n)
	}
}

func TestPprofOnlyWhenEnabled(t *testing.T) {
	_, off := explainFixture(t, false)
	if rec := fetch(t, off, "/debug/pprof/"); rec.Code != 404 {
		t.Errorf("/debug/pprof/ without the flag = %d, want 404", rec.Code)
	}
	_, on := explainFixture(t, true)
	if rec := fetch(t, on, "/debug/pprof/"); rec.Code != 200 {
		t.Errorf("/debug/pprof/ with the flag = %d", rec.Code)
	}
}

// An entry discovery found but did not make a target is found by its discovered address or labels, with where it
// came from and the rule that dropped it; an entry relabeling keeps but Prometheus would refuse says so.
func TestExplainDroppedEntry(t *testing.T) {
	_, base := explainFixture(t, false)
	dropped := []DroppedEntry{
		{Job: "web", Origin: Origin{Provider: 1, Group: "pods/ns", Index: 4},
			Item: []byte(`{"targets":["10.0.0.7:80"],"labels":{"__address__":"10.0.0.7:80","__meta_kubernetes_pod_label_app":"cache"}}`)},
		{Job: "web", Origin: Origin{Group: "pods/ns", Index: 5},
			Item: []byte(`{"targets":[""],"labels":{"__meta_kubernetes_pod_label_app":"web","__meta_kubernetes_pod_name":"noport"}}`)},
	}
	var asked []string
	opts := base.opts
	opts.Dropped = func(job string, match func([]byte) bool, limit int) ([]DroppedEntry, bool) {
		asked = append(asked, job)
		var out []DroppedEntry
		for _, d := range dropped {
			if (job == "" || d.Job == job) && match(d.Item) {
				out = append(out, d)
			}
		}
		return out, false
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ans := getExplain(t, s, "address=10.0.0.7:80")
	if len(ans.Targets) != 1 {
		t.Fatalf("%d answers for a dropped address: %+v", len(ans.Targets), ans.Targets)
	}
	e := ans.Targets[0]
	if !e.Dropped || e.Job != "web" || e.Collector != "" || e.Address != "10.0.0.7:80" ||
		!strings.Contains(e.Outcome, "relabel_configs[0]") || len(e.Relabel) != 1 || e.Relabel[0].Kept ||
		len(e.Origins) != 1 || e.Origins[0].Group != "pods/ns" || e.Origins[0].Index != 4 || e.Origins[0].Provider != 1 {
		t.Errorf("explained %+v", e)
	}
	e = getExplain(t, s, "label=__meta_kubernetes_pod_name=noport").Targets[0]
	if !e.Dropped || !strings.Contains(e.Outcome, "refused after relabeling") {
		t.Errorf("explained %+v", e)
	}
	// A kept target is still answered from the allocation, not as dropped; the job filter reaches discovery.
	asked = nil
	ans = getExplain(t, s, "address=10.0.0.1:80&job=web")
	if len(ans.Targets) != 1 || ans.Targets[0].Dropped || ans.Targets[0].Collector == "" || len(asked) != 1 || asked[0] != "web" {
		t.Errorf("kept target: %+v, discovery asked for %q", ans.Targets, asked)
	}
	if rec := fetch(t, s, "/debug/target?address=10.0.0.7:80"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	html := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/debug/target?address=10.0.0.7:80", nil)
	req.Header.Set("Accept", "text/html")
	s.ServeHTTP(html, req)
	if !strings.Contains(html.Body.String(), "not a target") {
		t.Errorf("HTML page does not say the entry is not a target:\n%s", html.Body)
	}
}
