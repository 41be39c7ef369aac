package allocator

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// handoffSetup: two collectors own 400 targets; a third joins, so some targets are held by their old owners.
func handoffSetup(t *testing.T, h Handoff) (*Allocator, *time.Time) {
	t.Helper()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	a, err := New("", "", WithHandoff(h), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	cs := collectors(2)
	a.SetCollectors(cs)
	ts := make([]*target.Target, 400)
	for i := range ts {
		ts[i] = tgt(uint64(i+1)*0x9e3779b97f4a7c15, "")
	}
	a.Apply(target.JobChange{Job: "j", Upsert: ts})
	a.SetCollectors(collectors(3))
	return a, &now
}

func heldCount(a *Allocator) int { h, _, _, _, _ := a.Snapshot().HandoffStats(); return h }

// Every target the newcomer owns is still served by its old owner; the union covers all, the newcomer's own
// share is its whole response.
func TestHandoffHoldsMovedTargets(t *testing.T) {
	a, _ := handoffSetup(t, DefaultHandoff())
	snap := a.Snapshot()
	moved := snap.CollectorTargets("collector-2")
	if moved == 0 || heldCount(a) != moved {
		t.Fatalf("collector-2 owns %d, held %d: every moved target must be held once", moved, heldCount(a))
	}
	if got := len(snap.Targets("j", "collector-2")); got != moved {
		t.Fatalf("collector-2 is served %d targets, owns %d", got, moved)
	}
	served := len(snap.Targets("j", "collector-0")) + len(snap.Targets("j", "collector-1"))
	if served != 400 {
		t.Fatalf("the old owners serve %d targets during the handoff, want all 400", served)
	}
}

// A fetch of an older snapshot does not end the hold; one of the move's generation does.
func TestHandoffEndsOnlyOnAFetchThatIncludesTheMove(t *testing.T) {
	a, _ := handoffSetup(t, DefaultHandoff())
	gen := a.Snapshot().Generation()
	a.ObserveFetch("j", "collector-2", gen-1, 0)
	if heldCount(a) == 0 {
		t.Fatal("a fetch of the snapshot before the move ended the handoff")
	}
	a.ObserveFetch("j", "collector-2", gen, 0)
	if n := heldCount(a); n != 0 {
		t.Fatalf("%d still held after the new owner fetched the move's snapshot", n)
	}
	for _, c := range []string{"collector-0", "collector-1", "collector-2"} {
		if got, own := len(a.Snapshot().Targets("j", c)), a.Snapshot().CollectorTargets(c); got != own {
			t.Fatalf("%s is served %d targets after the handoff, owns %d", c, got, own)
		}
	}
}

// The deadline is the owner's announced interval plus the margin, and never beyond MaxHold.
func TestHandoffDeadline(t *testing.T) {
	for _, tc := range []struct {
		name      string
		announced time.Duration
		want      time.Duration
	}{
		{"default interval", 0, 60*time.Second + 5*time.Second},
		{"announced interval", 10 * time.Second, 15 * time.Second},
		{"capped", time.Hour, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := DefaultHandoff()
			h.MaxHold = 2 * time.Minute
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			a, err := New("", "", WithHandoff(h), WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			a.SetCollectors(collectors(2))
			a.Apply(target.JobChange{Job: "j", Upsert: randomTargets(rand.New(rand.NewPCG(5, 6)), 300, 0)})
			if tc.announced > 0 {
				a.intervals.Store("collector-2", tc.announced) // as its fetches of another job announced it
			}
			a.SetCollectors(collectors(3))
			if heldCount(a) == 0 {
				t.Fatal("nothing held")
			}
			now = now.Add(tc.want - time.Millisecond)
			a.ExpireHolds()
			if heldCount(a) == 0 {
				t.Fatalf("holds ended before %v", tc.want)
			}
			now = now.Add(time.Millisecond)
			if next := a.ExpireHolds(); !next.IsZero() || heldCount(a) != 0 {
				t.Fatalf("holds still open at %v (next deadline %v)", tc.want, next)
			}
		})
	}
}

// Without handoff nothing is held: the old owners drop moved targets in the same snapshot.
func TestNoHandoffHoldsNothing(t *testing.T) {
	a, _ := handoffSetup(t, Handoff{})
	if n := heldCount(a); n != 0 {
		t.Fatalf("%d held without handoff", n)
	}
	if got := len(a.Snapshot().Targets("j", "collector-0")); got != a.Snapshot().CollectorTargets("collector-0") {
		t.Fatalf("collector-0 serves %d, owns %d", got, a.Snapshot().CollectorTargets("collector-0"))
	}
}

// A target that keeps moving among serving collectors before its owners fetch it (per-node node changes) is
// released max_hold after its first move at the latest: each move must not restart the clock.
func TestHandoffHoldEndsByMaxHoldAcrossMoves(t *testing.T) {
	now := time.Unix(0, 0)
	h := Handoff{Enabled: true, Margin: time.Second, DefaultRefreshInterval: 60 * time.Second, MaxHold: 2 * time.Minute}
	a, err := New(PerNode, "", WithHandoff(h), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors(collectors(3))
	a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{tgt(1, "node-0")}})
	for i := 1; i <= 20; i++ {
		now = now.Add(50 * time.Second)
		a.ExpireHolds()
		a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{tgt(1, collectors(3)[i%3].Node)}})
		// ExpireHolds ran at most 50 s after any deadline, so no open hold can be older than that past max_hold.
		if hd, ok := a.st.jobs["j"].holds[1]; ok && now.Sub(hd.start) > h.MaxHold+50*time.Second {
			t.Fatalf("after %ds: the hold is %v old; max_hold is %v", i*50, now.Sub(hd.start), h.MaxHold)
		}
	}
}

// RunHandoff must not keep a timer per wake-up.
func TestRunHandoffKeepsOneTimer(t *testing.T) {
	a, err := New(ConsistentHashing, "", WithHandoff(DefaultHandoff()))
	if err != nil {
		t.Fatal(err)
	}
	a.st.nextDeadline = time.Now().Add(time.Hour) // a pending deadline: every round arms the timer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.RunHandoff(ctx)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for range 100_000 {
		a.st.wake <- struct{}{}
	}
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if grown := int64(m1.HeapAlloc) - int64(m0.HeapAlloc); grown > 4<<20 {
		t.Errorf("heap grew %d MB over 100k wake-ups", grown>>20)
	}
}

// A held target whose labels change is served with the new bytes by its holders too.
func TestHandoffHoldersServeNewBytes(t *testing.T) {
	a, _ := handoffSetup(t, DefaultHandoff())
	var moved *target.Target
	for _, x := range a.Snapshot().Targets("j", "collector-2") {
		moved = x
		break
	}
	changed := *moved
	changed.Item = append([]byte(nil), `{"targets":["changed:1"],"labels":{}}`...)
	a.Apply(target.JobChange{Job: "j", Upsert: []*target.Target{&changed}})
	servedBy := 0
	for _, c := range []string{"collector-0", "collector-1", "collector-2"} {
		for _, x := range a.Snapshot().Targets("j", c) {
			if x.Hash != moved.Hash {
				continue
			}
			if string(x.Item) != string(changed.Item) {
				t.Fatalf("%s serves the held target's old bytes", c)
			}
			servedBy++
		}
	}
	if servedBy != 2 {
		t.Fatalf("the held target is served by %d collectors, want its owner and its holder", servedBy)
	}
}

// A target that moves back to the collector still holding it ends its hold: that collector served it all along.
func TestHandoffMoveBackEndsHold(t *testing.T) {
	a, _ := handoffSetup(t, DefaultHandoff())
	if heldCount(a) == 0 {
		t.Fatal("nothing held after collector-2 joined: the test would prove nothing")
	}
	cs := collectors(3)
	cs[2].Draining = true // collector-2 starts terminating before fetching: its targets return to their holders
	a.SetCollectors(cs)
	if n := heldCount(a); n != 0 {
		t.Fatalf("%d still held after the targets went back to the collectors holding them", n)
	}
	snap := a.Snapshot()
	seen := map[uint64]int{}
	for _, c := range []string{"collector-0", "collector-1"} {
		for _, x := range snap.Targets("j", c) {
			seen[x.Hash]++
		}
	}
	if len(seen) != 400 || snap.Count("j", "collector-2") != 0 {
		t.Fatalf("after the move back: collectors 0 and 1 serve %d of 400 targets, collector-2 %d", len(seen), snap.Count("j", "collector-2"))
	}
	for h, n := range seen {
		if n != 1 {
			t.Fatalf("target %d served %d times after the move back", h, n)
		}
	}
}
