package allocator

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// tgt builds a target whose item is a small valid http_sd entry naming its hash, so bodies are checkable.
func tgt(h uint64, node string) *target.Target {
	addr := fmt.Sprintf("10.%d.%d.%d:8080", h>>16&255, h>>8&255, h&255)
	return &target.Target{
		Hash:    h,
		Address: addr,
		Node:    node,
		Item:    fmt.Appendf(nil, `{"targets":[%q],"labels":{"h":"%d"}}`, addr, h),
	}
}

// randomTargets returns n targets with random hashes, spread over nodes node-0..node-(nodes-1) (no node if 0).
func randomTargets(r *rand.Rand, n, nodes int) []*target.Target {
	ts := make([]*target.Target, n)
	for i := range ts {
		node := ""
		if nodes > 0 {
			node = fmt.Sprintf("node-%d", r.IntN(nodes))
		}
		ts[i] = tgt(r.Uint64(), node)
	}
	return ts
}

func collectors(n int) []target.Collector {
	cs := make([]target.Collector, n)
	for i := range cs {
		cs[i] = target.Collector{Name: fmt.Sprintf("collector-%d", i), Node: fmt.Sprintf("node-%d", i),
			PodIP: fmt.Sprintf("10.1.0.%d", i)}
	}
	return cs
}

func mustNew(t testing.TB, strategy, fallback string) *Allocator {
	t.Helper()
	a, err := New(strategy, fallback)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// owners maps every assigned target hash of job to its collector, as the snapshot says.
func owners(s *Snapshot, job string) map[uint64]string {
	m := map[uint64]string{}
	for _, c := range s.Collectors() {
		for _, t := range s.Targets(job, c.Name) {
			m[t.Hash] = c.Name
		}
	}
	return m
}
