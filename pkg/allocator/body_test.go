package allocator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// encode is the plain definition of a body, which Body.WriteTo must reproduce byte for byte.
func encode(ts []*target.Target) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t.Item)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// recordingWriter keeps what is written and the size of every Write.
type recordingWriter struct {
	bytes.Buffer
	writes []int
	failAt int // fail the Write with this index (1-based); 0 never fails
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	if w.failAt == len(w.writes) {
		return 0, errors.New("client gone")
	}
	return w.Buffer.Write(p)
}

// TestBodyWriteToEqualsEncode writes bodies whose items straddle chunk boundaries, fill a chunk exactly, and are
// larger than a chunk, and checks each body is the plain encoding, its Len is its length, and no Write but an
// oversized item's exceeds a chunk.
func TestBodyWriteToEqualsEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	item := func(n int) []byte {
		b := bytes.Repeat([]byte{'x'}, n)
		b[0], b[n-1] = '{', '}'
		return b
	}
	cases := map[string][]int{
		"one":              {10},
		"exact chunk":      {chunkSize - 2}, // "[" + item fills the chunk, "]" goes in the next
		"comma at the end": {chunkSize / 2, chunkSize/2 - 2, 5},
		"oversized":        {100, chunkSize + 7, 100},
		"only oversized":   {3 * chunkSize},
	}
	var many []int
	for range 5000 {
		many = append(many, 2+rng.IntN(900))
	}
	cases["many"] = many
	for name, sizes := range cases {
		t.Run(name, func(t *testing.T) {
			ts := make([]*target.Target, len(sizes))
			for i, n := range sizes {
				ts[i] = &target.Target{Hash: uint64(i), Item: item(n)}
			}
			b := Body{p: &pair{targets: ts, size: bodySize(ts)}}
			var w recordingWriter
			n, err := b.WriteTo(&w)
			if err != nil {
				t.Fatal(err)
			}
			want := encode(ts)
			if w.String() != want {
				t.Fatalf("body differs from the plain encoding (%d bytes, want %d)", w.Len(), len(want))
			}
			if int(n) != len(want) || b.Len() != len(want) {
				t.Fatalf("written %d, Len %d, want %d", n, b.Len(), len(want))
			}
			for _, s := range w.writes {
				if s > chunkSize && !slicesContainsSize(sizes, s) {
					t.Fatalf("a write of %d bytes, above the chunk size", s)
				}
			}
		})
	}
	var w recordingWriter
	if _, err := (Body{}).WriteTo(&w); err != nil || w.String() != "[]" || (Body{}).Len() != 2 {
		t.Fatalf("zero Body wrote %q, %v", w.String(), err)
	}
}

func slicesContainsSize(sizes []int, n int) bool {
	for _, s := range sizes {
		if s == n {
			return true
		}
	}
	return false
}

// TestBodyWriteToStopsAtError: a client that goes away mid-body gets no further writes.
func TestBodyWriteToStopsAtError(t *testing.T) {
	ts := make([]*target.Target, 2000)
	for i := range ts {
		ts[i] = &target.Target{Hash: uint64(i), Item: bytes.Repeat([]byte{'y'}, 500)}
	}
	b := Body{p: &pair{targets: ts, size: bodySize(ts)}}
	w := recordingWriter{failAt: 2}
	if _, err := b.WriteTo(&w); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if len(w.writes) != 2 {
		t.Fatalf("%d writes after the failing one", len(w.writes)-2)
	}
}

// bodyTargets are n targets of about 300 bytes each.
func bodyTargets(prefix string, n int) []*target.Target {
	ts := make([]*target.Target, n)
	for i := range ts {
		addr := fmt.Sprintf("%s-%d:8080", prefix, i)
		ts[i] = &target.Target{Hash: uint64(rand.Uint64() | 1), Address: addr,
			Item: fmt.Appendf(nil, `{"targets":[%q],"labels":{"l":%q}}`, addr, strings.Repeat("v", 250))}
	}
	return ts
}

// The response cache keeps a body assembled only within its budget, serves the same bytes either way, gives the
// bytes back once the pair is garbage, and does not leak reservations when requests race to assemble it.
func TestResponseCacheBudget(t *testing.T) {
	one := Body{p: &pair{targets: bodyTargets("x", 100)}}
	one.p.size = bodySize(one.p.targets)
	a, err := New(ConsistentHashing, "", WithResponseCache(int64(one.Len())*3/2))
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "c"}})
	a.Apply(target.JobChange{Job: "a", Upsert: bodyTargets("a", 100)}, target.JobChange{Job: "b", Upsert: bodyTargets("b", 100)})
	snap := a.Snapshot()
	bodyA, bodyB := snap.Body("a", "c"), snap.Body("b", "c")

	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Go(func() {
			var w recordingWriter
			if _, err := bodyA.WriteTo(&w); err != nil {
				t.Error(err)
			}
			outs[i] = w.String()
		})
	}
	wg.Wait()
	for _, o := range outs {
		if o != encode(snap.Targets("a", "c")) {
			t.Fatal("a racing request got other bytes than the plain encoding")
		}
	}
	if bodyA.p.body.Load() == nil {
		t.Fatal("a body within the budget was not kept")
	}
	if got := a.CachedResponseBytes(); got != int64(bodyA.Len()) {
		t.Fatalf("cache holds %d bytes after racing requests, want %d (one body)", got, bodyA.Len())
	}
	var w recordingWriter
	if _, err := bodyB.WriteTo(&w); err != nil || w.String() != encode(snap.Targets("b", "c")) {
		t.Fatalf("body over the budget: %v", err)
	}
	if bodyB.p.body.Load() != nil || a.CachedResponseBytes() != int64(bodyA.Len()) {
		t.Fatalf("a body past the budget was kept: cache holds %d bytes, budget %d", a.CachedResponseBytes(), one.Len()*3/2)
	}

	// Job a goes: once nothing references its pair, the budget is free again and b can be kept.
	a.Apply(target.JobChange{Job: "a", Delete: true})
	snap, bodyA, bodyB = nil, Body{}, Body{}
	deadline := time.Now().Add(10 * time.Second)
	for a.CachedResponseBytes() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("cache still holds %d bytes of a dropped pair", a.CachedResponseBytes())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	b := a.Snapshot().Body("b", "c")
	b.WriteTo(io.Discard)
	if b.p.body.Load() == nil {
		t.Fatal("budget freed, but b was not kept")
	}
}

// Slow clients cannot make the TA hold unbounded chunk buffers: with every buffer out, a body is still written
// whole and right, item by item, and every buffer taken is given back, on errors too.
func TestBodyWriteWithoutChunkBuffers(t *testing.T) {
	ts := bodyTargets("s", 3000) // about 900 KB: several chunks
	b := Body{p: &pair{targets: ts, size: bodySize(ts)}}
	chunksOut.Store(maxChunks)
	var w recordingWriter
	_, err := b.WriteTo(&w)
	chunksOut.Store(0)
	if err != nil || w.String() != encode(ts) {
		t.Fatalf("without chunk buffers: %v, body equal %v", err, w.String() == encode(ts))
	}
	for _, n := range w.writes {
		if n > 400 {
			t.Fatalf("a write of %d bytes: a chunk buffer was used past the bound", n)
		}
	}
	for _, failAt := range []int{0, 1, 2} {
		w := recordingWriter{failAt: failAt}
		b.WriteTo(&w)
		if n := chunksOut.Load(); n != 0 {
			t.Fatalf("%d chunk buffers still out after a write (failing at write %d)", n, failAt)
		}
	}
}
