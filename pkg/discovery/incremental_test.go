package discovery

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// apply folds changes into a served state, failing on inconsistent changes.
func apply(t *testing.T, state map[string]map[uint64]string, chs []target.JobChange) {
	t.Helper()
	for _, ch := range chs {
		if ch.Delete {
			delete(state, ch.Job)
			continue
		}
		m := state[ch.Job]
		if m == nil {
			m = map[uint64]string{}
			state[ch.Job] = m
		}
		for _, h := range ch.Remove {
			if _, ok := m[h]; !ok {
				t.Fatalf("job %s: removal of unknown target %x", ch.Job, h)
			}
			delete(m, h)
		}
		for _, tg := range ch.Upsert {
			if m[tg.Hash] == string(tg.Item) {
				t.Fatalf("job %s: upsert of an unchanged target %s", ch.Job, tg.Item)
			}
			m[tg.Hash] = string(tg.Item)
		}
	}
}

// TestIncrementalEqualsFullPass drives random sequences of provider updates (groups appearing, changing, vanishing
// as empty groups, resent unchanged as new objects, duplicate entries across groups and providers, the same Source
// from several providers, providers stopping, relabel rules changing) and checks after every step that the state
// built from the emitted changes equals a fresh full pass: each provider's current groups in one update.
func TestIncrementalEqualsFullPass(t *testing.T) {
	configs := [][]*config.ScrapeConfig{
		scrapeConfigs(t, twoJobs),
		// Job a keeps what the first configuration dropped, and drops what it kept: a reprocess from kept state.
		scrapeConfigs(t, twoJobs+"  relabel_configs:\n  - source_labels: [__meta_x]\n    regex: \"1\"\n    action: drop\n"),
	}
	type provKey struct {
		job string
		ref ProviderRef
	}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		inc := NewProcessor(true, nil)
		cfgs := configs[0]
		state := map[string]map[uint64]string{}
		chs, err := inc.SetJobs(cfgs)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, state, chs)
		// current holds each provider's groups by Source, as the discovery manager would.
		current := map[provKey]map[string]*targetgroup.Group{}
		nextID := uint64(1)
		for step := range 40 {
			if rng.IntN(8) == 0 {
				cfgs = configs[rng.IntN(len(configs))]
				chs, err := inc.SetJobs(cfgs)
				if err != nil {
					t.Fatal(err)
				}
				apply(t, state, chs)
			}
			for _, job := range []string{"a", "b"} {
				for ord := range 3 {
					var key provKey
					for _, k := range slices.SortedFunc(maps.Keys(current), func(a, b provKey) int { return int(a.ref.ID) - int(b.ref.ID) }) {
						if k.job == job && k.ref.Ord == ord {
							key = k
						}
					}
					if key.job == "" || rng.IntN(10) == 0 {
						// A provider (re)starts: the old instance's groups go.
						if key.job != "" {
							inc.RemoveProvider(job, key.ref.ID)
							delete(current, key)
						}
						nextID++
						key = provKey{job: job, ref: ProviderRef{ID: nextID, Ord: ord}}
						current[key] = map[string]*targetgroup.Group{}
					}
					for range rng.IntN(3) {
						update := mutate(rng, current[key])
						inc.Update(job, key.ref, update)
					}
				}
			}
			apply(t, state, inc.Flush())

			full := NewProcessor(true, nil)
			want := map[string]map[uint64]string{}
			chs, _ := full.SetJobs(cfgs)
			apply(t, want, chs)
			keys := make([]provKey, 0, len(current))
			for k := range current {
				keys = append(keys, k)
			}
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			for _, k := range keys {
				var all []*targetgroup.Group
				for _, src := range slices.Sorted(maps.Keys(current[k])) {
					all = append(all, current[k][src])
				}
				full.Update(k.job, k.ref, all)
			}
			apply(t, want, full.Flush())
			if d := cmp.Diff(want, state); d != "" {
				t.Fatalf("seed %d step %d: incremental state differs from a full pass (-full +incremental):\n%s", seed, step, d)
			}
		}
	}
}

// mutate returns one update of a provider whose groups are cur, and applies it to cur.
func mutate(rng *rand.Rand, cur map[string]*targetgroup.Group) []*targetgroup.Group {
	var update []*targetgroup.Group
	for _, src := range slices.Sorted(maps.Keys(cur)) {
		g := cur[src]
		switch rng.IntN(8) {
		case 0: // vanish
			update = append(update, &targetgroup.Group{Source: src})
			delete(cur, src)
		case 1: // new content
			n := randomGroup(rng, src)
			update = append(update, n)
			cur[src] = n
		case 2: // same content, new object
			c := &targetgroup.Group{Source: g.Source, Labels: g.Labels.Clone()}
			for _, t := range g.Targets {
				c.Targets = append(c.Targets, t.Clone())
			}
			update = append(update, c)
			cur[src] = c
		}
	}
	for range rng.IntN(4) {
		// Sources from a small space, so that providers share Sources now and then.
		src := "src-" + strconv.Itoa(rng.IntN(8))
		n := randomGroup(rng, src)
		update = append(update, n)
		if len(n.Targets) == 0 {
			delete(cur, src)
		} else {
			cur[src] = n
		}
	}
	// The last group of a Source is the one that counts; the order of distinct Sources does not matter.
	seen := map[string]bool{}
	var out []*targetgroup.Group
	for i := len(update) - 1; i >= 0; i-- {
		if !seen[update[i].Source] {
			seen[update[i].Source] = true
			out = append(out, update[i])
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func randomGroup(rng *rand.Rand, src string) *targetgroup.Group {
	g := &targetgroup.Group{Source: src, Labels: model.LabelSet{"__meta_group": model.LabelValue(strconv.Itoa(rng.IntN(3)))}}
	// Varying group label names, some empty, some shadowed by a target label.
	for range rng.IntN(3) {
		g.Labels[model.LabelName("__meta_extra_"+strconv.Itoa(rng.IntN(4)))] = model.LabelValue([]string{"", "v", "w"}[rng.IntN(3)])
	}
	for range rng.IntN(4) {
		// Few addresses and meta values: entries often merge into one target.
		t := model.LabelSet{
			"__address__": model.LabelValue("h" + strconv.Itoa(rng.IntN(5)) + ":1"),
			"__meta_x":    model.LabelValue(strconv.Itoa(rng.IntN(2))),
		}
		if rng.IntN(5) == 0 {
			t["__meta_drop"] = "yes"
		}
		if rng.IntN(4) == 0 {
			t["__meta_extra_1"] = model.LabelValue([]string{"", "t"}[rng.IntN(2)])
		}
		g.Targets = append(g.Targets, t)
	}
	return g
}
