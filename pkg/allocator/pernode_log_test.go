package allocator

import (
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// A job whose discovery delivers node-less targets in many batches logs the fact once, not once per batch.
func TestPerNodeLogsNodelessOncePerJob(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	klog.SetLogger(funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{}))
	defer klog.ClearLogger()

	a := mustNew(t, PerNode, "")
	a.SetCollectors(collectors(2))
	for batch := range 20 {
		for _, job := range []string{"a", "b"} {
			a.Apply(target.JobChange{Job: job, Upsert: []*target.Target{tgt(uint64(batch+1), "")}})
		}
	}
	mu.Lock()
	defer mu.Unlock()
	count := map[string]int{}
	for _, l := range lines {
		if strings.Contains(l, "without a node") {
			for _, job := range []string{`"job"="a"`, `"job"="b"`} {
				if strings.Contains(l, job) {
					count[job]++
				}
			}
		}
	}
	if count[`"job"="a"`] != 1 || count[`"job"="b"`] != 1 {
		t.Errorf("node-less log lines per job %v, want 1 each; lines:\n%s", count, strings.Join(lines, "\n"))
	}
	if u := a.Snapshot().Unassigned(); u != 40 {
		t.Errorf("unassigned %d, want 40", u)
	}
}
