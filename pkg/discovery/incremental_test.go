package discovery

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
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

// TestIncrementalEqualsFullPass drives random snapshot sequences (groups appearing, changing, vanishing, resent
// unchanged as new objects, duplicate entries across groups, colliding Sources) and checks after every step that
// the state built from the emitted changes equals a fresh full pass over the same snapshot.
func TestIncrementalEqualsFullPass(t *testing.T) {
	cfgs := scrapeConfigs(t, twoJobs)
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		inc := NewProcessor(true, nil)
		state := map[string]map[uint64]string{}
		chs, err := inc.SetJobs(cfgs)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, state, chs)
		current := map[string][]*targetgroup.Group{}
		for step := range 40 {
			for _, job := range []string{"a", "b"} {
				current[job] = mutate(rng, current[job])
			}
			snap := map[string][]*targetgroup.Group{}
			for job, gs := range current {
				s := append([]*targetgroup.Group(nil), gs...)
				rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
				snap[job] = s
			}
			apply(t, state, inc.Process(snap))

			full := NewProcessor(true, nil)
			want := map[string]map[uint64]string{}
			chs, _ := full.SetJobs(cfgs)
			apply(t, want, chs)
			apply(t, want, full.Process(snap))
			if d := cmp.Diff(want, state); d != "" {
				t.Fatalf("seed %d step %d: incremental state differs from a full pass (-full +incremental):\n%s", seed, step, d)
			}
		}
	}
}

func mutate(rng *rand.Rand, gs []*targetgroup.Group) []*targetgroup.Group {
	out := gs[:0:0]
	for _, g := range gs {
		switch rng.IntN(6) {
		case 0: // vanish
		case 1: // new content
			out = append(out, randomGroup(rng, g.Source))
		case 2: // same content, new object
			c := &targetgroup.Group{Source: g.Source, Labels: g.Labels.Clone()}
			for _, t := range g.Targets {
				c.Targets = append(c.Targets, t.Clone())
			}
			out = append(out, c)
		default:
			out = append(out, g)
		}
	}
	for range rng.IntN(4) {
		// Sources from a small space, so that Sources collide now and then.
		out = append(out, randomGroup(rng, "src-"+strconv.Itoa(rng.IntN(8))))
	}
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
