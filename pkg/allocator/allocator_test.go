package allocator

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

func TestNewNames(t *testing.T) {
	tests := []struct {
		strategy, fallback string
		wantErr            []string // substrings of the error; nil: no error
	}{
		{"", "", nil},
		{ConsistentHashing, "", nil},
		{LeastWeighted, "", nil},
		{PerNode, "", nil},
		{PerNode, ConsistentHashing, nil},
		{PerNode, LeastWeighted, nil},
		{"round-robin", "", []string{`"round-robin"`, ConsistentHashing, LeastWeighted, PerNode}},
		{PerNode, "bogus", []string{`"bogus"`, ConsistentHashing, LeastWeighted}},
		{PerNode, PerNode, []string{`"per-node"`}},
	}
	for _, tc := range tests {
		a, err := New(tc.strategy, tc.fallback)
		if tc.wantErr == nil {
			if err != nil || a == nil || a.Snapshot() == nil {
				t.Errorf("New(%q, %q) = %v, %v; want an allocator with a snapshot", tc.strategy, tc.fallback, a, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("New(%q, %q): no error", tc.strategy, tc.fallback)
			continue
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%q, %q) error %q does not mention %s", tc.strategy, tc.fallback, err, w)
			}
		}
	}
}

func TestSnapshotShape(t *testing.T) {
	a := mustNew(t, "", "")
	s0 := a.Snapshot()
	if got := s0.Response("x", "y"); got != "[]" || len(s0.Jobs()) != 0 {
		t.Fatalf("empty snapshot: response %q jobs %v", got, s0.Jobs())
	}
	t1, t2, t3 := tgt(3, ""), tgt(1, ""), tgt(2, "")
	a.Apply(target.JobChange{Job: "b", Upsert: []*target.Target{t1, t2, t3}}, target.JobChange{Job: "a"})
	s := a.Snapshot()
	if diff := cmp.Diff([]string{"a", "b"}, s.Jobs()); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if s.Unassigned() != 3 {
		t.Errorf("unassigned with no collectors = %d, want 3", s.Unassigned())
	}
	a.SetCollectors([]target.Collector{{Name: "c0"}})
	s = a.Snapshot()
	want := "[" + string(t2.Item) + "," + string(t3.Item) + "," + string(t1.Item) + "]" // sorted by hash
	if got := s.Response("b", "c0"); got != want {
		t.Errorf("response = %s, want %s", got, want)
	}
	for _, q := range [][2]string{{"a", "c0"}, {"b", "nobody"}, {"nojob", "c0"}} {
		if got := s.Response(q[0], q[1]); got != "[]" {
			t.Errorf("Response(%q, %q) = %s, want []", q[0], q[1], got)
		}
	}
	if s.Unassigned() != 0 || s.Count("b", "c0") != 3 || s.CollectorTargets("c0") != 3 {
		t.Errorf("counts: unassigned %d, count %d, collector total %d", s.Unassigned(), s.Count("b", "c0"),
			s.CollectorTargets("c0"))
	}
	if total, un := s.JobTargets("b"); total != 3 || un != 0 {
		t.Errorf("JobTargets(b) = %d, %d", total, un)
	}
	if s.Generation() <= s0.Generation() {
		t.Errorf("generation did not grow: %d then %d", s0.Generation(), s.Generation())
	}

	// Only the touched pair is rebuilt: job a's view and its generation stay.
	genB, _ := s.BuiltAt("b", "c0")
	a.Apply(target.JobChange{Job: "a", Upsert: []*target.Target{tgt(9, "")}})
	s2 := a.Snapshot()
	if g, _ := s2.BuiltAt("b", "c0"); g != genB {
		t.Errorf("untouched pair rebuilt: generation %d, was %d", g, genB)
	}
	if g, ok := s2.BuiltAt("a", "c0"); !ok || g != s2.Generation() {
		t.Errorf("touched pair built at %d (%v), want %d", g, ok, s2.Generation())
	}
	if s.Response("a", "c0") != "[]" {
		t.Errorf("old snapshot changed")
	}

	// Replace (same hash, new item) rebuilds the bytes; removal and job deletion empty responses.
	t2b := tgt(1, "")
	t2b.Item = []byte(`{"targets":["x:1"],"labels":{}}`)
	a.Apply(target.JobChange{Job: "b", Upsert: []*target.Target{t2b}, Remove: []uint64{3, 42}})
	if got, want := a.Snapshot().Response("b", "c0"), "["+string(t2b.Item)+","+string(t3.Item)+"]"; got != want {
		t.Errorf("after replace+remove: %s, want %s", got, want)
	}
	a.Apply(target.JobChange{Job: "b", Delete: true})
	s3 := a.Snapshot()
	if s3.HasJob("b") || s3.Response("b", "c0") != "[]" || s3.CollectorTargets("c0") != 1 {
		t.Errorf("after delete: jobs %v, response %s, total %d", s3.Jobs(), s3.Response("b", "c0"),
			s3.CollectorTargets("c0"))
	}

	// Nothing changed: no new generation.
	a.Apply(target.JobChange{Job: "a", Remove: []uint64{12345}})
	if a.Snapshot() != s3 {
		t.Errorf("a no-op change published a new snapshot")
	}
}

func TestConsistentHashingBalanceAndMoves(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ts := randomTargets(r, 100_000, 0)
	a := mustNew(t, ConsistentHashing, "")
	a.Apply(target.JobChange{Job: "j", Upsert: ts})
	cs := collectors(101)
	a.SetCollectors(cs[:100])
	before := owners(a.Snapshot(), "j")
	mean := float64(len(ts)) / 100
	for _, c := range cs[:100] {
		n := float64(a.Snapshot().CollectorTargets(c.Name))
		if n < 0.88*mean || n > 1.12*mean {
			t.Errorf("%s has %v targets, mean %v: outside 12%%", c.Name, n, mean)
		}
	}

	a.SetCollectors(cs)
	after := owners(a.Snapshot(), "j")
	moved := 0
	for h, c := range after {
		if before[h] != c {
			moved++
			if c != cs[100].Name {
				t.Fatalf("target %d moved from %s to %s, not to the new collector", h, before[h], c)
			}
		}
	}
	if f, limit := float64(moved)/float64(len(ts)), 1.1/101; f > limit {
		t.Errorf("adding the 101st collector moved %.4f of targets, limit %.4f", f, limit)
	}

	// Removing a collector moves only its targets.
	a.SetCollectors(append(append([]target.Collector{}, cs[:7]...), cs[8:]...))
	final := owners(a.Snapshot(), "j")
	for h, c := range final {
		if after[h] != c && after[h] != cs[7].Name {
			t.Fatalf("target %d moved from %s to %s though its collector stayed", h, after[h], c)
		}
	}
	if len(final) != len(ts) {
		t.Errorf("%d targets assigned, want %d", len(final), len(ts))
	}
}

func TestLeastWeighted(t *testing.T) {
	a := mustNew(t, LeastWeighted, "")
	a.SetCollectors([]target.Collector{{Name: "b"}, {Name: "a"}})
	// Ties on total go to the collector with fewer targets of the job, then to the smaller name.
	a.Apply(target.JobChange{Job: "j1", Upsert: []*target.Target{tgt(1, ""), tgt(2, ""), tgt(3, "")}})
	a.Apply(target.JobChange{Job: "j2", Upsert: []*target.Target{tgt(4, "")}})
	s := a.Snapshot()
	got := map[string][]uint64{}
	for _, j := range s.Jobs() {
		for _, c := range s.Collectors() {
			for _, tg := range s.Targets(j, c.Name) {
				got[j+"/"+c.Name] = append(got[j+"/"+c.Name], tg.Hash)
			}
		}
	}
	want := map[string][]uint64{"j1/a": {1, 3}, "j1/b": {2}, "j2/b": {4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assignment (-want +got):\n%s", diff)
	}

	// Stable: a new collector takes nothing existing, but gets the next targets.
	a.SetCollectors([]target.Collector{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	if n := a.Snapshot().CollectorTargets("c"); n != 0 {
		t.Errorf("new collector took %d existing targets", n)
	}
	a.Apply(target.JobChange{Job: "j2", Upsert: []*target.Target{tgt(5, ""), tgt(6, "")}})
	s = a.Snapshot()
	if diff := cmp.Diff([]int{2, 2, 2}, []int{s.CollectorTargets("a"), s.CollectorTargets("b"), s.CollectorTargets("c")}); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	// A leaving collector's targets go to the least loaded.
	a.SetCollectors([]target.Collector{{Name: "b"}, {Name: "c"}})
	s = a.Snapshot()
	if s.CollectorTargets("b")+s.CollectorTargets("c") != 6 || s.CollectorTargets("b") != 3 {
		t.Errorf("after removal: b %d, c %d", s.CollectorTargets("b"), s.CollectorTargets("c"))
	}
}

func TestLeastWeightedBalance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := mustNew(t, LeastWeighted, "")
	a.SetCollectors(collectors(7))
	for j := range 5 {
		a.Apply(target.JobChange{Job: string(rune('a' + j)), Upsert: randomTargets(r, 1000+j*13, 0)})
	}
	s := a.Snapshot()
	lo, hi := 1<<30, 0
	for _, c := range s.Collectors() {
		lo, hi = min(lo, s.CollectorTargets(c.Name)), max(hi, s.CollectorTargets(c.Name))
	}
	if hi-lo > 1 {
		t.Errorf("least-weighted totals range %d..%d, want within 1", lo, hi)
	}
}

func TestPerNode(t *testing.T) {
	cs := []target.Collector{{Name: "c1", Node: "n1"}, {Name: "c2", Node: "n2"}, {Name: "c2b", Node: "n2"}}
	ts := []*target.Target{tgt(1, "n1"), tgt(2, "n2"), tgt(3, "n3"), tgt(4, ""), tgt(5, "n2"), tgt(6, "n2")}
	tests := []struct {
		fallback       string
		wantUnassigned int
	}{
		{"", 2},                // n3 has no collector, 4 has no node
		{ConsistentHashing, 1}, // 4 goes to the fallback
		{LeastWeighted, 1},
	}
	for _, tc := range tests {
		a := mustNew(t, PerNode, tc.fallback)
		a.Apply(target.JobChange{Job: "j", Upsert: ts})
		a.SetCollectors(cs)
		s := a.Snapshot()
		if s.Unassigned() != tc.wantUnassigned {
			t.Errorf("fallback %q: unassigned %d, want %d", tc.fallback, s.Unassigned(), tc.wantUnassigned)
		}
		for h, c := range owners(s, "j") {
			var node string
			for _, tg := range ts {
				if tg.Hash == h {
					node = tg.Node
				}
			}
			var cnode string
			for _, col := range cs {
				if col.Name == c {
					cnode = col.Node
				}
			}
			if node != "" && node != cnode {
				t.Errorf("fallback %q: target on %s assigned to %s on %s", tc.fallback, node, c, cnode)
			}
		}
		// A collector appearing on n3 picks up its target.
		a.SetCollectors(append(cs, target.Collector{Name: "c3", Node: "n3"}))
		if got := a.Snapshot().Count("j", "c3"); got != 1 {
			t.Errorf("fallback %q: c3 got %d targets, want 1", tc.fallback, got)
		}
	}
}

func TestConcurrentCallers(t *testing.T) {
	a := mustNew(t, "", "")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for i := range 50 {
				if g == 0 {
					a.SetCollectors(collectors(1 + i%5))
					continue
				}
				a.Apply(target.JobChange{Job: "j", Upsert: randomTargets(r, 20, 0)})
				_ = a.Snapshot().Response("j", "collector-0")
			}
		}()
	}
	wg.Wait()
	a.SetCollectors(collectors(3))
	s := a.Snapshot()
	if total, un := s.JobTargets("j"); total != 3*50*20 || un != 0 || len(owners(s, "j")) != total {
		t.Errorf("after concurrent changes: total %d unassigned %d assigned %d", total, un, len(owners(s, "j")))
	}
}

func TestQuietWhenNothingChanges(t *testing.T) {
	a := mustNew(t, "", "")
	cs := []target.Collector{{Name: "c0", Node: "n", PodIP: "10.0.0.1"}}
	a.SetCollectors(cs)
	a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{tgt(1, "")}})
	s := a.Snapshot()
	a.SetCollectors([]target.Collector{{Name: "c0", Node: "n", PodIP: "10.0.0.1"}}) // an informer resync
	a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{tgt(1, "")}})       // discovery re-sends a target
	a.Apply(target.JobChange{Job: "j"})                                             // job registered again
	if a.Snapshot() != s {
		t.Errorf("unchanged input published generation %d after %d", a.Snapshot().Generation(), s.Generation())
	}
	a.SetCollectors([]target.Collector{{Name: "c0", Node: "n", PodIP: "10.0.0.9"}})
	if s2 := a.Snapshot(); s2 == s || s2.Collectors()[0].PodIP != "10.0.0.9" || s2.Count("j", "c0") != 1 {
		t.Errorf("pod IP change: new snapshot %v, collectors %v", s2 != s, s2.Collectors())
	}
}

// TestMovedFraction: with consistent-hashing, the (N+1)th collector takes at most 1.1/(N+1) of the targets and
// only for itself, and the spread around the mean stays within sampling noise.
func TestMovedFraction(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ts := randomTargets(r, 50_000, 0)
	for _, n := range []int{1, 2, 5, 10, 30} {
		a := mustNew(t, ConsistentHashing, "")
		a.Apply(target.JobChange{Job: "j", Upsert: ts})
		cs := collectors(n + 1)
		a.SetCollectors(cs[:n])
		before := owners(a.Snapshot(), "j")
		a.SetCollectors(cs)
		moved, worst := 0, 0.0
		s := a.Snapshot()
		for h, c := range owners(s, "j") {
			if before[h] != c {
				moved++
			}
		}
		mean := float64(len(ts)) / float64(n+1)
		for _, c := range cs {
			worst = max(worst, abs(float64(s.CollectorTargets(c.Name))-mean)/mean)
		}
		f := float64(moved) / float64(len(ts))
		t.Logf("%d -> %d collectors: moved %.4f (ideal %.4f), worst deviation from mean %.1f%%", n, n+1, f,
			1/float64(n+1), 100*worst)
		if f > 1.1/float64(n+1) || s.Count("j", cs[n].Name) != moved {
			t.Errorf("%d -> %d collectors: moved %.4f, limit %.4f; new collector has %d of %d moved", n, n+1, f,
				1.1/float64(n+1), s.Count("j", cs[n].Name), moved)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestParallelRebuild covers the multi-core rebuild of a large first load (run it with -race).
func TestParallelRebuild(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	a := mustNew(t, "", "")
	a.SetCollectors(collectors(4))
	var chs []target.JobChange
	for j := range 8 {
		chs = append(chs, target.JobChange{Job: string(rune('a' + j)), Upsert: randomTargets(r, parallelRebuild/4, 0)})
	}
	a.Apply(chs...)
	s := a.Snapshot()
	for _, job := range s.Jobs() {
		n := 0
		for _, c := range s.Collectors() {
			n += s.Count(job, c.Name)
			if s.Response(job, c.Name) != encode(s.Targets(job, c.Name)) {
				t.Errorf("%s/%s: response does not match targets", job, c.Name)
			}
		}
		if n != parallelRebuild/4 {
			t.Errorf("%s: %d targets served, want %d", job, n, parallelRebuild/4)
		}
	}
}
