package discovery

import (
	"encoding/json"
	"log/slog"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// scrapeConfigs parses scrape configs the way the TA does, so defaults and relabel validation are Prometheus'.
func scrapeConfigs(t testing.TB, yml string) []*config.ScrapeConfig {
	t.Helper()
	cfg, err := config.Load(yml, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	scs, err := cfg.GetScrapeConfigs()
	if err != nil {
		t.Fatalf("GetScrapeConfigs: %v", err)
	}
	return scs
}

const twoJobs = `
scrape_configs:
- job_name: a
  scrape_interval: 10s
  relabel_configs:
  - source_labels: [__meta_drop]
    regex: "yes"
    action: drop
  - regex: __meta_.*
    action: labeldrop
- job_name: b
`

func newTestProcessor(t *testing.T, yml string) *Processor {
	t.Helper()
	p := NewProcessor(true, nil)
	if _, err := p.SetJobs(scrapeConfigs(t, yml)); err != nil {
		t.Fatal(err)
	}
	return p
}

func group(src string, groupLabels model.LabelSet, targets ...model.LabelSet) *targetgroup.Group {
	return &targetgroup.Group{Source: src, Labels: groupLabels, Targets: targets}
}

func ls(kv ...string) model.LabelSet {
	s := model.LabelSet{}
	for i := 0; i < len(kv); i += 2 {
		s[model.LabelName(kv[i])] = model.LabelValue(kv[i+1])
	}
	return s
}

// view is a JobChange in comparable form: served labels decoded, hashes kept.
type view struct {
	Job    string
	Upsert []targetView
	Remove []uint64
	Delete bool
	Hashes []uint64
}

type targetView struct {
	Address string
	Node    string
	Labels  map[string]string
}

func views(t *testing.T, chs []target.JobChange) []view {
	t.Helper()
	var out []view
	for _, ch := range chs {
		v := view{Job: ch.Job, Remove: ch.Remove, Delete: ch.Delete}
		for _, tg := range ch.Upsert {
			var item struct {
				Targets []string          `json:"targets"`
				Labels  map[string]string `json:"labels"`
			}
			if err := json.Unmarshal(tg.Item, &item); err != nil {
				t.Fatalf("item %q: %v", tg.Item, err)
			}
			if len(item.Targets) != 1 || item.Targets[0] != tg.Address {
				t.Fatalf("item targets %v, address %q", item.Targets, tg.Address)
			}
			v.Upsert = append(v.Upsert, targetView{Address: tg.Address, Node: tg.Node, Labels: item.Labels})
			v.Hashes = append(v.Hashes, tg.Hash)
		}
		sort.Sort(byAddress(v))
		out = append(out, v)
	}
	return out
}

func ignoreHashes() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Hashes" }, cmp.Ignore())
}

func TestSetJobsRegistersAndDeletes(t *testing.T) {
	p := NewProcessor(true, nil)
	got, err := p.SetJobs(scrapeConfigs(t, twoJobs))
	if err != nil {
		t.Fatal(err)
	}
	want := []target.JobChange{{Job: "a"}, {Job: "b"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("registration (-want +got):\n%s", d)
	}
	p.Process(map[string][]*targetgroup.Group{"b": {group("s", nil, ls("__address__", "x:1"))}})
	got, err = p.SetJobs(scrapeConfigs(t, "scrape_configs:\n- job_name: a\n  scrape_interval: 10s\n  relabel_configs:\n  - source_labels: [__meta_drop]\n    regex: \"yes\"\n    action: drop\n  - regex: __meta_.*\n    action: labeldrop\n"))
	if err != nil {
		t.Fatal(err)
	}
	want = []target.JobChange{{Job: "b", Delete: true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("deletion (-want +got):\n%s", d)
	}
	if got := p.Process(map[string][]*targetgroup.Group{"b": {group("s", nil, ls("__address__", "y:1"))}}); len(got) != 0 {
		t.Errorf("unconfigured job produced changes: %v", got)
	}
}

func TestProcess(t *testing.T) {
	pod := ls("__address__", "10.0.0.1:8080", "__meta_kubernetes_pod_node_name", "node-1", "__meta_x", "1")
	tests := []struct {
		name  string
		steps []map[string][]*targetgroup.Group
		want  [][]view
	}{
		{
			name: "targets are built with pre-relabel labels, group labels under target labels",
			steps: []map[string][]*targetgroup.Group{{
				"a": {group("g1", ls("env", "prod", "__meta_x", "group"), pod, ls("__address__", "10.0.0.2:80", "__meta_drop", "yes"))},
				"b": {group("g1", nil, ls("__address__", `q"uote:1`, "l", "é\n"))},
			}},
			want: [][]view{{
				{Job: "a", Upsert: []targetView{{Address: "10.0.0.1:8080", Node: "node-1", Labels: map[string]string{
					"__address__": "10.0.0.1:8080", "__meta_kubernetes_pod_node_name": "node-1", "__meta_x": "1", "env": "prod"}}}},
				{Job: "b", Upsert: []targetView{{Address: `q"uote:1`, Labels: map[string]string{"__address__": `q"uote:1`, "l": "é\n"}}}},
			}},
		},
		{
			name: "an unchanged group, even as a new object, produces no change; a removed group removes its targets",
			steps: []map[string][]*targetgroup.Group{
				{"a": {group("g1", nil, pod), group("g2", nil, ls("__address__", "10.0.0.9:1"))}},
				{"a": {group("g1", nil, pod.Clone()), group("g2", nil, ls("__address__", "10.0.0.9:1"))}},
				{"a": {group("g1", nil, pod)}},
			},
			want: [][]view{
				{{Job: "a", Upsert: []targetView{
					{Address: "10.0.0.1:8080", Node: "node-1", Labels: map[string]string{"__address__": "10.0.0.1:8080", "__meta_kubernetes_pod_node_name": "node-1", "__meta_x": "1"}},
					{Address: "10.0.0.9:1", Labels: map[string]string{"__address__": "10.0.0.9:1"}},
				}}},
				nil,
				{{Job: "a", Remove: []uint64{hashOf(t, "a", ls("__address__", "10.0.0.9:1"))}}},
			},
		},
		{
			name: "endpointslice node target names the node",
			steps: []map[string][]*targetgroup.Group{{
				"b": {group("g", ls("__meta_kubernetes_endpointslice_address_target_kind", "Node"), ls("__address__", "n:1", "__meta_kubernetes_endpointslice_address_target_name", "node-7"))},
			}},
			want: [][]view{{{Job: "b", Upsert: []targetView{{Address: "n:1", Node: "node-7", Labels: map[string]string{
				"__address__": "n:1", "__meta_kubernetes_endpointslice_address_target_kind": "Node", "__meta_kubernetes_endpointslice_address_target_name": "node-7"}}}}}},
		},
		{
			name: "targets Prometheus refuses are dropped",
			steps: []map[string][]*targetgroup.Group{{
				"b": {group("g", nil, ls("x", "no address"), ls("__address__", "a/b:1"), ls("__address__", "t:1", "__scrape_timeout__", "2m"))},
			}},
			want: [][]view{nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestProcessor(t, twoJobs)
			for i, snap := range tc.steps {
				got := views(t, p.Process(snap))
				if d := cmp.Diff(tc.want[i], got, ignoreHashes()); d != "" {
					t.Errorf("step %d (-want +got):\n%s", i, d)
				}
			}
		})
	}
}

// hashOf returns the identity of a lone entry of a job, by processing it alone.
func hashOf(t *testing.T, job string, l model.LabelSet) uint64 {
	t.Helper()
	p := newTestProcessor(t, twoJobs)
	chs := p.Process(map[string][]*targetgroup.Group{job: {group("x", nil, l)}})
	if len(chs) != 1 || len(chs[0].Upsert) != 1 {
		t.Fatalf("hashOf: %v", chs)
	}
	return chs[0].Upsert[0].Hash
}

func TestMetaLabelChangeKeepsIdentity(t *testing.T) {
	p := newTestProcessor(t, twoJobs)
	first := p.Process(map[string][]*targetgroup.Group{"a": {group("g", nil, ls("__address__", "h:1", "__meta_x", "1"))}})
	second := p.Process(map[string][]*targetgroup.Group{"a": {group("g", nil, ls("__address__", "h:1", "__meta_x", "2"))}})
	if len(first) != 1 || len(second) != 1 || len(second[0].Upsert) != 1 || len(second[0].Remove) != 0 {
		t.Fatalf("unexpected changes: %v then %v", first, second)
	}
	if first[0].Upsert[0].Hash != second[0].Upsert[0].Hash {
		t.Errorf("meta label change moved identity")
	}
	if got := views(t, second)[0].Upsert[0].Labels["__meta_x"]; got != "2" {
		t.Errorf("served meta label = %q, want the new value 2", got)
	}
}

func TestDuplicatesMergeByFixedRule(t *testing.T) {
	// job a drops __meta_* in relabeling, so entries differing only in meta labels are one target.
	e := func(m string) model.LabelSet { return ls("__address__", "h:1", "__meta_who", m) }
	gA := group("a-src", nil, ls("__address__", "other:1"), e("a1"))
	gB := group("b-src", nil, e("b0"))
	steps := []struct {
		snap    []*targetgroup.Group
		wantWho string // served __meta_who after the step, "" when gone
		change  bool
	}{
		{snap: []*targetgroup.Group{gB}, wantWho: "b0", change: true},
		// a-src sorts before b-src: its entry (index 1) takes over.
		{snap: []*targetgroup.Group{gB, gA}, wantWho: "a1", change: true},
		// Order in the snapshot does not matter.
		{snap: []*targetgroup.Group{gA, gB}, wantWho: "a1", change: false},
		// The winner disappears: the next one takes over.
		{snap: []*targetgroup.Group{gB, group("a-src", nil, ls("__address__", "other:1"))}, wantWho: "b0", change: true},
		{snap: []*targetgroup.Group{group("a-src", nil, ls("__address__", "other:1"))}, wantWho: "", change: true},
	}
	p := newTestProcessor(t, twoJobs)
	served := map[uint64]*target.Target{}
	for i, s := range steps {
		chs := p.Process(map[string][]*targetgroup.Group{"a": s.snap})
		changed := false
		for _, ch := range chs {
			for _, h := range ch.Remove {
				delete(served, h)
				changed = true
			}
			for _, tg := range ch.Upsert {
				if tg.Address == "h:1" {
					changed = true
				}
				served[tg.Hash] = tg
			}
		}
		var who []string
		for _, tg := range served {
			if tg.Address != "h:1" {
				continue
			}
			var item struct{ Labels map[string]string }
			if err := json.Unmarshal(tg.Item, &item); err != nil {
				t.Fatal(err)
			}
			who = append(who, item.Labels["__meta_who"])
		}
		switch {
		case s.wantWho == "" && len(who) != 0, s.wantWho != "" && (len(who) != 1 || who[0] != s.wantWho):
			t.Errorf("step %d: served %v, want %q", i, who, s.wantWho)
		}
		if changed != s.change {
			t.Errorf("step %d: changed = %v, want %v", i, changed, s.change)
		}
	}
}

// Several providers of one job (two kubernetes_sd_configs, say) may report the same Source: each keeps its groups.
func TestSameSourceFromTwoProvidersKeepsBoth(t *testing.T) {
	p := newTestProcessor(t, twoJobs)
	first, second := ProviderRef{ID: 1, Ord: 0}, ProviderRef{ID: 2, Ord: 1}
	p.Update("b", first, []*targetgroup.Group{group("pod/ns/x", nil, ls("__address__", "x:1"))})
	p.Update("b", second, []*targetgroup.Group{group("pod/ns/x", nil, ls("__address__", "y:1"))})
	chs := p.Flush()
	if len(chs) != 1 || len(chs[0].Upsert) != 2 {
		t.Fatalf("want two targets, got %v", views(t, chs))
	}
	// One provider resends its group unchanged: nothing changes.
	p.Update("b", second, []*targetgroup.Group{group("pod/ns/x", nil, ls("__address__", "y:1"))})
	if chs := p.Flush(); len(chs) != 0 {
		t.Errorf("an unchanged group produced changes: %v", views(t, chs))
	}
	// One provider's group goes: exactly its target is removed.
	p.Update("b", second, []*targetgroup.Group{{Source: "pod/ns/x"}})
	chs = p.Flush()
	if len(chs) != 1 || len(chs[0].Remove) != 1 || len(chs[0].Upsert) != 0 {
		t.Errorf("want one removal, got %+v", views(t, chs))
	}
	// A stopped provider takes its groups along.
	p.RemoveProvider("b", first.ID)
	chs = p.Flush()
	if len(chs) != 1 || len(chs[0].Remove) != 1 {
		t.Errorf("want one removal for the stopped provider, got %+v", views(t, chs))
	}
}

func TestRelabelConfigChangeReprocesses(t *testing.T) {
	p := newTestProcessor(t, twoJobs)
	p.Process(map[string][]*targetgroup.Group{"b": {group("g", nil, ls("__address__", "x:1", "keep", "no"), ls("__address__", "y:1", "keep", "yes"))}})
	chs, err := p.SetJobs(scrapeConfigs(t, twoJobs+"  relabel_configs:\n  - source_labels: [keep]\n    regex: \"yes\"\n    action: keep\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := views(t, chs)
	if len(got) != 1 || got[0].Job != "b" || len(got[0].Remove) != 1 || len(got[0].Upsert) != 0 {
		t.Errorf("want one removal in job b, got %+v", got)
	}
}

func TestFilterOffKeepsEverything(t *testing.T) {
	p := NewProcessor(false, nil)
	if _, err := p.SetJobs(scrapeConfigs(t, twoJobs)); err != nil {
		t.Fatal(err)
	}
	chs := p.Process(map[string][]*targetgroup.Group{"a": {group("g", nil, ls("__address__", "x:1", "__meta_drop", "yes"))}})
	if len(chs) != 1 || len(chs[0].Upsert) != 1 {
		t.Errorf("filter off dropped a target: %+v", chs)
	}
}

// byAddress orders a view's upserts by address, so expectations need not know hash order.
type byAddress view

func (v byAddress) Len() int           { return len(v.Upsert) }
func (v byAddress) Less(i, j int) bool { return v.Upsert[i].Address < v.Upsert[j].Address }
func (v byAddress) Swap(i, j int) {
	v.Upsert[i], v.Upsert[j] = v.Upsert[j], v.Upsert[i]
	v.Hashes[i], v.Hashes[j] = v.Hashes[j], v.Hashes[i]
}

func TestRegexOnlyChangeReprocesses(t *testing.T) {
	cfg := func(re string) string {
		return "scrape_configs:\n- job_name: j\n  relabel_configs:\n  - source_labels: [__address__]\n    regex: " + re + "\n    action: keep\n"
	}
	p := newTestProcessor(t, cfg("x:1"))
	p.Process(map[string][]*targetgroup.Group{"j": {group("g", nil, ls("__address__", "x:1"), ls("__address__", "y:1"))}})
	chs, err := p.SetJobs(scrapeConfigs(t, cfg("y:1")))
	if err != nil {
		t.Fatal(err)
	}
	got := views(t, chs)
	if len(got) != 1 || len(got[0].Upsert) != 1 || got[0].Upsert[0].Address != "y:1" || len(got[0].Remove) != 1 {
		t.Errorf("want x:1 removed and y:1 added, got %+v", got)
	}
}
