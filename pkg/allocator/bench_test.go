package allocator

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// podTarget builds a target shaped like a kubernetes SD pod target: about a dozen __meta_kubernetes_* labels,
// which makes the item about 700 bytes, like the reference's benchmark data.
func podTarget(r *rand.Rand, i, nodes int) *target.Target {
	node := "node-" + strconv.Itoa(i%nodes)
	addr := fmt.Sprintf("10.%d.%d.%d:8080", i>>16&255, i>>8&255, i&255)
	item := fmt.Appendf(nil, `{"targets":[%q],"labels":{"__address__":%q,`+
		`"__meta_kubernetes_namespace":"team-%d","__meta_kubernetes_pod_name":"app-%d-7f9c8d6b5-x2x9q",`+
		`"__meta_kubernetes_pod_ip":"%s","__meta_kubernetes_pod_node_name":%q,`+
		`"__meta_kubernetes_pod_uid":"0f6e7a2c-3b1d-4e5f-8a9b-%012d","__meta_kubernetes_pod_ready":"true",`+
		`"__meta_kubernetes_pod_phase":"Running","__meta_kubernetes_pod_label_app":"app-%d",`+
		`"__meta_kubernetes_pod_labelpresent_app":"true","__meta_kubernetes_pod_container_name":"server",`+
		`"__meta_kubernetes_pod_container_port_name":"metrics","__meta_kubernetes_pod_container_port_number":"8080",`+
		`"__meta_kubernetes_pod_controller_kind":"ReplicaSet","__meta_kubernetes_pod_controller_name":"app-%d-7f9c8d6b5"}}`,
		addr, addr, i%50, i, addr[:len(addr)-5], node, i, i%1000, i%1000)
	return &target.Target{Hash: r.Uint64(), Address: addr, Node: node, Item: item}
}

func podTargets(n, nodes int) []*target.Target {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	ts := make([]*target.Target, n)
	for i := range ts {
		ts[i] = podTarget(r, i, nodes)
	}
	return ts
}

// jobChanges splits targets into jobs of equal size.
func jobChanges(ts []*target.Target, jobs int) []target.JobChange {
	chs := make([]target.JobChange, jobs)
	per := len(ts) / jobs
	for j := range chs {
		chs[j] = target.JobChange{Job: fmt.Sprintf("job-%d", j), Upsert: ts[j*per : (j+1)*per]}
	}
	return chs
}

// BenchmarkAssign100k measures a full assignment, response encoding included, of 100k targets in 10 jobs.
func BenchmarkAssign100k(b *testing.B) {
	for _, strategy := range Strategies() {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/collectors=%d", strategy, n), func(b *testing.B) {
				ts := podTargets(100_000, n)
				chs := jobChanges(ts, 10)
				cs := collectors(n)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					a := mustNew(b, strategy, "")
					a.SetCollectors(cs)
					a.Apply(chs...)
				}
			})
		}
	}
}

// BenchmarkAddCollector measures one collector joining 100 that hold 100k targets, and reports the fraction of
// targets that moved (ideal for consistent-hashing: 1/101 = 0.0099).
func BenchmarkAddCollector(b *testing.B) {
	for _, strategy := range Strategies() {
		b.Run(strategy, func(b *testing.B) {
			ts := podTargets(100_000, 101)
			cs := collectors(101)
			a := mustNew(b, strategy, "")
			a.SetCollectors(cs[:100])
			a.Apply(jobChanges(ts, 10)...)
			before := allOwners(a.Snapshot())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				a.SetCollectors(cs[:100])
				b.StartTimer()
				a.SetCollectors(cs)
			}
			b.StopTimer()
			after := allOwners(a.Snapshot())
			moved := 0
			for k, c := range after {
				if before[k] != c {
					moved++
				}
			}
			b.ReportMetric(float64(moved)/float64(len(ts)), "moved/target")
		})
	}
}

func allOwners(s *Snapshot) map[string]string {
	m := map[string]string{}
	for _, j := range s.Jobs() {
		for _, c := range s.Collectors() {
			for _, t := range s.Targets(j, c.Name) {
				m[j+"/"+strconv.FormatUint(t.Hash, 16)] = c.Name
			}
		}
	}
	return m
}

// BenchmarkJobChange1M measures one target group's change (10 targets replaced, one removed, one added) in one
// job of 100 among 1M targets on 100 collectors: the cost must follow the change, not the total.
func BenchmarkJobChange1M(b *testing.B) {
	for _, strategy := range Strategies() {
		b.Run(strategy, func(b *testing.B) {
			ts := podTargets(1_000_000, 100)
			chs := jobChanges(ts, 100)
			a := mustNew(b, strategy, "")
			a.SetCollectors(collectors(100))
			a.Apply(chs...)
			r := rand.New(rand.NewPCG(7, 7))
			job := chs[50]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				ch := target.JobChange{Job: job.Job}
				for k := range 10 {
					old := job.Upsert[(i*10+k)%len(job.Upsert)]
					nt := *old
					ch.Upsert = append(ch.Upsert, &nt)
				}
				extra := podTarget(r, i, 100)
				ch.Upsert = append(ch.Upsert, extra)
				a.Apply(ch)
				a.Apply(target.JobChange{Job: job.Job, Remove: []uint64{extra.Hash}})
			}
		})
	}
}

// BenchmarkSnapshotBody measures what a request costs the allocator side: an atomic load, two lookups and the
// body's write, from the items in chunks (uncached) or in one Write of the kept copy (cached).
func BenchmarkSnapshotBody(b *testing.B) {
	for name, opts := range map[string][]Option{"cached": {WithResponseCache(256 << 20)}, "uncached": nil} {
		b.Run(name, func(b *testing.B) {
			a, err := New("", "", opts...)
			if err != nil {
				b.Fatal(err)
			}
			a.SetCollectors(collectors(100))
			a.Apply(jobChanges(podTargets(100_000, 100), 10)...)
			b.SetBytes(int64(a.Snapshot().Body("job-3", "collector-42").Len()))
			b.ReportAllocs()
			for b.Loop() {
				if n, _ := a.Snapshot().Body("job-3", "collector-42").WriteTo(io.Discard); n < 3 {
					b.Fatal("empty")
				}
			}
		})
	}
}

// BenchmarkAssign1M assigns 1M pod-like targets in 100 jobs to 100 collectors and reports the heap the
// allocator keeps per target beyond the targets themselves (the sorted per-collector lists and the index; no
// body is prebuilt).
func BenchmarkAssign1M(b *testing.B) {
	ts := podTargets(1_000_000, 100)
	chs := jobChanges(ts, 100)
	itemBytes := 0
	for _, t := range ts {
		itemBytes += len(t.Item)
	}
	cs := collectors(100)
	b.ReportAllocs()
	var kept float64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		a := mustNew(b, ConsistentHashing, "")
		a.SetCollectors(cs)
		a.Apply(chs...)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(ts))
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(kept, "heap-B/target")
	b.ReportMetric(float64(itemBytes)/float64(len(ts)), "item-B/target")
}
