package allocator

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// model is what the allocator was told: the targets of every job and the live collectors.
type model struct {
	jobs       map[string]map[uint64]*target.Target
	collectors []target.Collector
}

// TestPropertyRandomChanges drives every strategy through random sequences of target and collector changes and
// checks after each step that every target is on exactly one live collector (or counted unassigned when the
// strategy has none for it), none lost, none twice, and that responses match their targets. For the pure
// strategies it also checks that an allocator fed the same final state in another order agrees.
func TestPropertyRandomChanges(t *testing.T) {
	cases := []struct{ strategy, fallback string }{
		{ConsistentHashing, ""}, {LeastWeighted, ""}, {PerNode, ""}, {PerNode, ConsistentHashing},
		{PerNode, LeastWeighted},
	}
	pool := collectors(8)
	for i := range pool {
		pool[i].Node = fmt.Sprintf("node-%d", i%5) // some nodes with two collectors, node-5.. with none
	}
	for _, tc := range cases {
		t.Run(tc.strategy+"+"+tc.fallback, func(t *testing.T) {
			for seed := range uint64(25) {
				r := rand.New(rand.NewPCG(seed, 77))
				// Odd seeds keep bodies assembled within a small budget, so some are served from the cache
				// (and must never be stale) and some from the items.
				var opts []Option
				if seed%2 == 1 {
					opts = append(opts, WithResponseCache(8<<10))
				}
				a, err := New(tc.strategy, tc.fallback, opts...)
				if err != nil {
					t.Fatal(err)
				}
				m := model{jobs: map[string]map[uint64]*target.Target{}}
				hashes := make([]uint64, 300) // a small pool, so upserts often replace
				for i := range hashes {
					hashes[i] = r.Uint64()
				}
				for step := range 40 {
					desc := randomStep(r, a, &m, hashes, pool)
					checkInvariants(t, a, &m, tc.strategy, tc.fallback, fmt.Sprintf("seed %d step %d (%s)", seed, step, desc))
					if t.Failed() {
						return
					}
				}
				if tc.strategy == ConsistentHashing || tc.strategy == PerNode && tc.fallback != LeastWeighted {
					checkOrderIndependent(t, a, &m, tc.strategy, tc.fallback, r)
				}
			}
		})
	}
}

func randomStep(r *rand.Rand, a *Allocator, m *model, hashes []uint64, pool []target.Collector) string {
	jobs := []string{"a", "b", "serviceMonitor/ns/x/0"}
	switch op := r.IntN(10); {
	case op < 3: // collectors: a random subset, in random order
		var cs []target.Collector
		for _, c := range pool {
			if r.IntN(2) == 0 {
				cs = append(cs, c)
			}
		}
		r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
		a.SetCollectors(cs)
		m.collectors = cs
		return fmt.Sprintf("%d collectors", len(cs))
	case op == 3: // delete a job
		j := jobs[r.IntN(len(jobs))]
		a.Apply(target.JobChange{Job: j, Delete: true})
		delete(m.jobs, j)
		return "delete " + j
	default: // upserts and removes on one or two jobs in one Apply
		var chs []target.JobChange
		for range 1 + r.IntN(2) {
			j := jobs[r.IntN(len(jobs))]
			if m.jobs[j] == nil {
				m.jobs[j] = map[uint64]*target.Target{}
			}
			var ch target.JobChange
			ch.Job = j
			for range r.IntN(3) * r.IntN(40) {
				h := hashes[r.IntN(len(hashes))]
				ch.Remove = append(ch.Remove, h)
				delete(m.jobs[j], h)
			}
			for range r.IntN(60) {
				h := hashes[r.IntN(len(hashes))]
				node := ""
				if r.IntN(5) > 0 {
					node = fmt.Sprintf("node-%d", r.IntN(7))
				}
				tg := tgt(h, node)
				ch.Upsert = append(ch.Upsert, tg)
				m.jobs[j][h] = tg
			}
			chs = append(chs, ch)
		}
		a.Apply(chs...)
		return fmt.Sprintf("%d changes", len(chs))
	}
}

func checkInvariants(t *testing.T, a *Allocator, m *model, strategy, fallback, where string) {
	t.Helper()
	s := a.Snapshot()
	if diff := cmp.Diff(slices.Sorted(maps.Keys(m.jobs)), s.Jobs(), cmp.Comparer(func(a, b []string) bool {
		return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b))
	})); diff != "" {
		t.Errorf("%s: jobs (-want +got):\n%s", where, diff)
	}
	liveNodes := map[string]string{}
	for _, c := range m.collectors {
		liveNodes[c.Name] = c.Node
	}
	hasNode := map[string]bool{}
	for _, c := range m.collectors {
		hasNode[c.Node] = true
	}
	if len(s.Collectors()) != len(m.collectors) {
		t.Errorf("%s: %d collectors in snapshot, want %d", where, len(s.Collectors()), len(m.collectors))
	}
	totalUnassigned := 0
	collTotals := map[string]int{}
	for job, want := range m.jobs {
		seen := map[uint64]string{}
		for _, c := range s.Collectors() {
			ts := s.Targets(job, c.Name)
			collTotals[c.Name] += len(ts)
			for _, tg := range ts {
				if prev, dup := seen[tg.Hash]; dup {
					t.Errorf("%s: job %s target %d on %s and %s", where, job, tg.Hash, prev, c.Name)
				}
				seen[tg.Hash] = c.Name
				if w := want[tg.Hash]; w == nil || !sameServed(w, tg) {
					t.Errorf("%s: job %s serves target %d that is not the current one", where, job, tg.Hash)
				}
				if strategy == PerNode && tg.Node != "" && tg.Node != c.Node {
					t.Errorf("%s: target on %s served by %s on %s", where, tg.Node, c.Name, c.Node)
				}
			}
			// Twice: the first request may assemble the body into the cache, the second serves that copy.
			for range 2 {
				body := s.Response(job, c.Name)
				if body != encode(ts) || !json.Valid([]byte(body)) {
					t.Errorf("%s: response of %s/%s does not match its targets: %s", where, job, c.Name, body)
				}
			}
		}
		// Who may legitimately stay unassigned.
		wantUnassigned := 0
		for _, tg := range want {
			switch {
			case len(m.collectors) == 0:
				wantUnassigned++
			case strategy != PerNode:
			case tg.Node == "" && fallback == "":
				wantUnassigned++
			case tg.Node != "" && !hasNode[tg.Node]:
				wantUnassigned++
			}
		}
		total, unassigned := s.JobTargets(job)
		if total != len(want) || unassigned != wantUnassigned || len(seen)+unassigned != len(want) {
			t.Errorf("%s: job %s: total %d unassigned %d assigned %d; want total %d unassigned %d",
				where, job, total, unassigned, len(seen), len(want), wantUnassigned)
		}
		totalUnassigned += unassigned
	}
	if s.Unassigned() != totalUnassigned {
		t.Errorf("%s: snapshot unassigned %d, sum over jobs %d", where, s.Unassigned(), totalUnassigned)
	}
	for _, c := range s.Collectors() {
		if s.CollectorTargets(c.Name) != collTotals[c.Name] {
			t.Errorf("%s: %s total %d, sum of its targets %d", where, c.Name, s.CollectorTargets(c.Name), collTotals[c.Name])
		}
	}
}

// checkOrderIndependent feeds a fresh allocator the final state in another order (collectors first, targets in
// shuffled chunks) and expects the same assignment.
func checkOrderIndependent(t *testing.T, a *Allocator, m *model, strategy, fallback string, r *rand.Rand) {
	t.Helper()
	b := mustNew(t, strategy, fallback)
	cs := slices.Clone(m.collectors)
	r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	b.SetCollectors(cs)
	for job, ts := range m.jobs {
		all := slices.Collect(maps.Values(ts))
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		b.Apply(target.JobChange{Job: job})
		for len(all) > 0 {
			n := min(len(all), 1+r.IntN(20))
			b.Apply(target.JobChange{Job: job, Upsert: all[:n]})
			all = all[n:]
		}
	}
	for job := range m.jobs {
		if diff := cmp.Diff(owners(a.Snapshot(), job), owners(b.Snapshot(), job)); diff != "" {
			t.Errorf("job %s: assignment depends on event order (-history +fresh):\n%s", job, diff)
		}
		for _, c := range m.collectors {
			if a.Snapshot().Response(job, c.Name) != b.Snapshot().Response(job, c.Name) {
				t.Errorf("job %s collector %s: bodies differ between replicas", job, c.Name)
			}
		}
	}
}
