package discovery

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// Editing a job's interval, path, params or adding a relabel-made label changes the identity (the target is
// replaced) but not the placement key (it stays on its collector); changing the address changes both.
func TestPlacementKeyIgnoresConfigurationLabels(t *testing.T) {
	const base = "- job_name: j\n  scrape_interval: 30s\n"
	edits := map[string]string{
		"interval":        "- job_name: j\n  scrape_interval: 10s\n",
		"path":            base + "  metrics_path: /m\n",
		"params":          base + "  params: {module: [a]}\n",
		"relabel label":   base + "  relabel_configs:\n  - target_label: team\n    replacement: a\n",
		"label from meta": base + "  relabel_configs:\n  - source_labels: [__meta_x]\n    target_label: x\n",
	}
	build := func(yml string, addr string) *target.Target {
		t.Helper()
		c, err := config.Load("scrape_configs:\n"+yml, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		jc, err := newJobConfig(c.ScrapeConfigs[0], true)
		if err != nil {
			t.Fatal(err)
		}
		b := newBuilder()
		var dst target.Target
		if _, o := b.build(jc, model.LabelSet{"__address__": model.LabelValue(addr), "__meta_x": "1"}, nil, &dst); o != kept {
			t.Fatalf("%s: not kept", yml)
		}
		return &dst
	}
	orig := build(base, "10.0.0.1:80")
	if orig.Placement == 0 {
		t.Fatal("no placement key")
	}
	for name, yml := range edits {
		got := build(yml, "10.0.0.1:80")
		if got.Hash == orig.Hash {
			t.Errorf("%s: identity unchanged, want a new identity (the served labels differ)", name)
		}
		if got.Placement != orig.Placement {
			t.Errorf("%s: placement key changed: the target would move", name)
		}
	}
	if other := build(base, "10.0.0.2:80"); other.Placement == orig.Placement {
		t.Error("another address has the same placement key")
	}
}

// Two entries of two groups that relabel to the same target are one target with two origins, the served one
// (smallest group source) first.
func TestOriginsNameMergedEntries(t *testing.T) {
	c, err := config.Load("scrape_configs:\n- job_name: j\n  relabel_configs:\n  - regex: __meta_pod\n    action: labeldrop\n", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	p := NewProcessor(true, nil)
	if _, err := p.SetJobs(c.ScrapeConfigs); err != nil {
		t.Fatal(err)
	}
	changes := p.Process(map[string][]*targetgroup.Group{"j": {
		{Source: "b", Targets: []model.LabelSet{{"__address__": "10.0.0.1:80", "__meta_pod": "x"}}},
		{Source: "a", Targets: []model.LabelSet{{"__address__": "10.0.0.9:80"}, {"__address__": "10.0.0.1:80", "__meta_pod": "y"}}},
	}})
	var hash uint64
	for _, ch := range changes {
		for _, tg := range ch.Upsert {
			if tg.Address == "10.0.0.1:80" {
				hash = tg.Hash
			}
		}
	}
	got := p.Origins("j", hash)
	want := []Origin{{Group: "a", Index: 1, Served: true}, {Group: "b", Index: 0}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("origins %+v, want %+v", got, want)
	}
	if p.Origins("j", 12345) != nil || p.Origins("nojob", hash) != nil {
		t.Error("origins for an unknown target")
	}
}

// Entries that relabeling dropped, or that have no address, are kept encoded and found on request with where
// they came from; a group that no longer holds them forgets them.
func TestDroppedEntriesAreSearchable(t *testing.T) {
	p := newTestProcessor(t, "scrape_configs:\n- job_name: j\n  relabel_configs:\n  - source_labels: [__meta_app]\n    regex: db\n    action: drop\n- job_name: k\n")
	p.Process(map[string][]*targetgroup.Group{
		"j": {{Source: "g", Targets: []model.LabelSet{
			{"__address__": "10.0.0.1:80", "__meta_app": "web"},
			{"__address__": "10.0.0.2:80", "__meta_app": "db"},
			{"__meta_app": "noaddress"},
		}}},
		"k": {{Source: "h", Targets: []model.LabelSet{{"__address__": "10.0.0.2:80", "__meta_app": "db"}}}},
	})
	all := func([]byte) bool { return true }
	got, more := p.Dropped("", all, 10)
	if more || len(got) != 2 {
		t.Fatalf("dropped %+v (more %v), want the db entry and the one without address", got, more)
	}
	if got[0].Job != "j" || got[0].Origin != (Origin{Group: "g", Index: 1}) || !strings.Contains(string(got[0].Item), `"__meta_app":"db"`) {
		t.Errorf("first dropped entry %+v %s", got[0], got[0].Item)
	}
	if got[1].Origin.Index != 2 || !strings.Contains(string(got[1].Item), "noaddress") {
		t.Errorf("second dropped entry %+v %s", got[1], got[1].Item)
	}
	if got, more := p.Dropped("", all, 1); len(got) != 1 || !more {
		t.Errorf("limit 1: %d entries, more %v", len(got), more)
	}
	if got, _ := p.Dropped("k", all, 10); len(got) != 0 {
		t.Errorf("job k dropped %+v: its entry was kept", got)
	}
	if got, _ := p.Dropped("j", func(item []byte) bool { return strings.Contains(string(item), "nothing") }, 10); len(got) != 0 {
		t.Errorf("the match is ignored: %+v", got)
	}
	// The group changes: the dropped entries are gone with it.
	p.Process(map[string][]*targetgroup.Group{"j": {{Source: "g", Targets: []model.LabelSet{{"__address__": "10.0.0.1:80", "__meta_app": "web"}}}}})
	if got, _ := p.Dropped("", all, 10); len(got) != 0 {
		t.Errorf("after the group changed, dropped %+v", got)
	}
}
