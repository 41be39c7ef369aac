package configrewrite

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rewriteCases are inputs under testdata/cases/<name>.yaml; each gives the golden files
// <name>.collector.golden.yaml and <name>.ta.golden.yaml.
var rewriteCases = []struct {
	name        string
	placeholder string
	// prometheusCR sets Options.PrometheusCR.
	prometheusCR bool
	// jobs are the job names ScrapeJobs must return.
	jobs []string
}{
	{name: "mixed-sd", jobs: []string{"static-and-files", "kubernetes-pods", "dns", "http-sd-only", "no-discovery"}},
	{name: "two-receivers", jobs: []string{"first", "slow", "second", "third"}},
	{name: "dollars", jobs: []string{"dollar$job"}},
	{name: "env-refs", placeholder: "${env:POD_NAME}", jobs: []string{"with-secret"}},
	{name: "escaped-job-names", jobs: []string{
		"serviceMonitor/monitoring/node-exporter/0", "job with spaces & ampersand?", "jöb-ünïcode-日本語+plus%percent",
	}},
	{name: "anchors", jobs: []string{"base", "merged", "aliased"}},
	{name: "comments", jobs: []string{"commented", "second"}},
	{name: "prometheus-cr", placeholder: "${env:POD_NAME}", prometheusCR: true, jobs: []string{"self", "kubernetes-pods", "flow"}},
}

func TestRewriteCases(t *testing.T) {
	for _, tc := range rewriteCases {
		t.Run(tc.name, func(t *testing.T) {
			in := readTestdata(t, "cases/"+tc.name+".yaml")
			// The cases exercise the rewrite of every SD form, file_sd included; the refusal of file names
			// has tests of its own.
			opts := Options{CollectorName: "demo", CollectorIDPlaceholder: tc.placeholder, PrometheusCR: tc.prometheusCR, AllowFileAccess: true}
			got, err := RewriteCollectorConfig(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "cases/"+tc.name+".collector.golden.yaml", got)

			again, err := RewriteCollectorConfig(got, opts)
			if err != nil {
				t.Fatalf("rewriting the output again: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("rewrite is not idempotent (-once +twice):\n%s", diff)
			}

			jobs, err := ScrapeJobs(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.jobs, jobs); diff != "" {
				t.Errorf("ScrapeJobs (-want +got):\n%s", diff)
			}
			// Every job is asked for at the TA under its escaped name, and the TA gets
			// the name back by unescaping the path segment. With Prometheus CRs no job is
			// left in the collector copy: the receiver gets them all from the TA.
			want := placeholder(opts)
			for _, j := range jobs {
				u := "http://demo-targetallocator:80/jobs/" + url.QueryEscape(j) + "/targets?collector_id=" + want
				if has := strings.Contains(got, "url: "+u+"\n"); has == tc.prometheusCR {
					t.Errorf("http_sd url %q present: %v, want %v, in\n%s", u, has, !tc.prometheusCR, got)
				}
			}
			if tc.prometheusCR {
				if left := collectorJobs(t, got); len(left) != 0 {
					t.Errorf("collector copy still has jobs %q with PrometheusCR:\n%s", left, got)
				}
			}

			ta, err := TargetAllocatorConfig(in, TAOptions{
				CollectorSelector:            map[string]string{"app.kubernetes.io/instance": "default.demo"},
				AllocationStrategy:           "consistent-hashing",
				CollectorNotReadyGracePeriod: 30 * time.Second,
				AllowFileAccess:              true,
			})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "cases/"+tc.name+".ta.golden.yaml", ta)
			cfg := loadTAConfig(t, ta)
			var taJobs []string
			for _, sc := range cfg.ScrapeConfigs {
				taJobs = append(taJobs, sc.JobName)
			}
			if diff := cmp.Diff(tc.jobs, taJobs); diff != "" {
				t.Errorf("TA config jobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJobNameEscapingRoundTrip(t *testing.T) {
	for _, name := range []string{
		"otel-collector", "serviceMonitor/ns/name/0", "with space", "a+b", "100%", "q?x=1&y#z",
		"日本語", "ünïcödé/ümlaut", "dollar$job", "tab\there", "podMonitor/ns/name/1",
	} {
		seg := url.QueryEscape(name)
		if strings.ContainsAny(seg, "/?# ") {
			t.Errorf("%q escapes to %q, which breaks the /jobs/{job}/targets path", name, seg)
		}
		back, err := url.QueryUnescape(seg)
		if err != nil || back != name {
			t.Errorf("%q -> %q -> %q, %v", name, seg, back, err)
		}
	}
}

// TestDollars checks the TA copy un-escapes `$$` in every string value, and the collector copy in none.
func TestDollars(t *testing.T) {
	in := readTestdata(t, "cases/dollars.yaml")
	col, err := RewriteCollectorConfig(in, Options{CollectorName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"job_name: dollar$$job", "regex: (.*)$$", "target_label: addr_$${1}", "replacement: $$1", "replacement: $1", `"$${1}-$$2"`} {
		if !strings.Contains(col, s) {
			t.Errorf("collector copy lost %q:\n%s", s, col)
		}
	}
	ta, err := TargetAllocatorConfig(in, TAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadTAConfig(t, ta)
	sc := cfg.ScrapeConfigs[0]
	rc := sc.RelabelConfigs
	got := []string{sc.JobName, rc[0].Regex.String(), rc[0].TargetLabel, rc[0].Replacement, rc[1].Replacement, rc[2].Replacement, sc.MetricRelabelConfigs[0].Replacement}
	want := []string{"dollar$job", "(.*)$", "addr_${1}", "$1", "$1", "${1}-$2", "$1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TA copy (-want +got):\n%s", diff)
	}
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct{ placeholder, want string }{
		{"", "collector_id=$POD_NAME\n"},
		{"${env:POD_NAME}", "collector_id=${env:POD_NAME}\n"},
		{"${POD_NAME}", "collector_id=${POD_NAME}\n"},
	} {
		got, err := RewriteCollectorConfig(seedConfig(t), Options{CollectorName: "collector-with-ta", CollectorIDPlaceholder: tc.placeholder})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, "url: http://collector-with-ta-targetallocator:80/jobs/otel-collector/targets?"+tc.want) {
			t.Errorf("placeholder %q: want %q in\n%s", tc.placeholder, tc.want, got)
		}
	}
}

// TestFlowNulls: a null in a flow mapping stays null (yaml.v3 alone writes an empty quoted string).
func TestFlowNulls(t *testing.T) {
	got, err := RewriteCollectorConfig("receivers: {prometheus}\nprocessors: {batch, memory_limiter: }\nexporters: [null, ~, {debug}]\n", Options{CollectorName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"receivers":  map[string]any{"prometheus": nil},
		"processors": map[string]any{"batch": nil, "memory_limiter": nil},
		"exporters":  []any{nil, nil, map[string]any{"debug": nil}},
	}
	if diff := cmp.Diff(want, yamlValue(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, got)
	}
}
