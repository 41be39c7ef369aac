package discovery

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

const benchJobs = 10

// benchConfig has 10 jobs; with dropHalf each drops the pods whose name ends in an even digit.
func benchConfig(dropHalf bool) string {
	s := "scrape_configs:\n"
	for j := range benchJobs {
		s += fmt.Sprintf("- job_name: job-%d\n", j)
		if dropHalf {
			s += "  relabel_configs:\n  - source_labels: [__meta_kubernetes_pod_name]\n    regex: .*[02468]\n    action: drop\n"
		}
	}
	return s
}

// podGroup is shaped like a kubernetes SD pod group: pod meta labels on the group, container port meta labels on
// the target, 13 __meta_kubernetes_* labels in all.
func podGroup(job, i int, version string) *targetgroup.Group {
	pod := "app-" + strconv.Itoa(job) + "-" + strconv.Itoa(i)
	ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
	return &targetgroup.Group{
		Source: "pod/default/" + pod,
		Labels: model.LabelSet{
			"__meta_kubernetes_namespace":           "default",
			"__meta_kubernetes_pod_name":            model.LabelValue(pod),
			"__meta_kubernetes_pod_ip":              model.LabelValue(ip),
			"__meta_kubernetes_pod_node_name":       model.LabelValue("node-" + strconv.Itoa(i%500)),
			"__meta_kubernetes_pod_host_ip":         model.LabelValue("192.168.0." + strconv.Itoa(i%250)),
			"__meta_kubernetes_pod_uid":             model.LabelValue(fmt.Sprintf("6b1e3f4c-0000-4000-8000-%012d", i)),
			"__meta_kubernetes_pod_label_app":       model.LabelValue("app-" + strconv.Itoa(job)),
			"__meta_kubernetes_pod_ready":           "true",
			"__meta_kubernetes_pod_phase":           model.LabelValue("Running" + version),
			"__meta_kubernetes_pod_controller_kind": "ReplicaSet",
			"__meta_kubernetes_pod_controller_name": model.LabelValue("app-" + strconv.Itoa(job) + "-7d4b9c"),
		},
		Targets: []model.LabelSet{{
			"__address__":                                 model.LabelValue(ip + ":8080"),
			"__meta_kubernetes_pod_container_name":        "app",
			"__meta_kubernetes_pod_container_port_number": "8080",
		}},
	}
}

func benchSnapshot(n int) map[string][]*targetgroup.Group {
	snap := map[string][]*targetgroup.Group{}
	for j := range benchJobs {
		name := "job-" + strconv.Itoa(j)
		per := n / benchJobs
		gs := make([]*targetgroup.Group, per)
		for i := range per {
			gs[i] = podGroup(j, i, "")
		}
		snap[name] = gs
	}
	return snap
}

var benchSizes = []int{1_000, 10_000, 100_000, 1_000_000}

// BenchmarkFullPass measures processing every target from scratch: a TA's start, and the reference's work every
// 5 s.
func BenchmarkFullPass(b *testing.B) {
	for _, n := range benchSizes {
		snap := benchSnapshot(n)
		for _, drop := range []bool{false, true} {
			cfgs := scrapeConfigs(b, benchConfig(drop))
			b.Run(fmt.Sprintf("targets=%d/dropHalf=%v", n, drop), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := NewProcessor(true, nil)
					if _, err := p.SetJobs(cfgs); err != nil {
						b.Fatal(err)
					}
					chs := p.Process(snap)
					if len(chs) != benchJobs {
						b.Fatalf("got %d job changes", len(chs))
					}
				}
				b.ReportMetric(retainedPerTarget(b, cfgs, snap, n), "retained-B/target")
			})
		}
		snap = nil
	}
}

// BenchmarkOneGroupChanged measures a provider update in which one pod among 1M targets changed.
func BenchmarkOneGroupChanged(b *testing.B) {
	const n = 1_000_000
	snap := benchSnapshot(n)
	p := NewProcessor(true, nil)
	if _, err := p.SetJobs(scrapeConfigs(b, benchConfig(false))); err != nil {
		b.Fatal(err)
	}
	p.Process(snap)
	versions := []*targetgroup.Group{podGroup(3, 777, "-a"), podGroup(3, 777, "-b")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Update("job-3", snapshotProvider, versions[i%2:i%2+1])
		i++
		chs := p.Flush()
		if len(chs) != 1 || len(chs[0].Upsert) != 1 {
			b.Fatalf("unexpected changes %v", chs)
		}
	}
}

// retainedPerTarget measures the heap a processor keeps after a full pass, per discovered target: the memory a TA
// holds for its targets, beyond the discovery manager's own groups.
func retainedPerTarget(b *testing.B, cfgs []*config.ScrapeConfig, snap map[string][]*targetgroup.Group, n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := NewProcessor(true, nil)
	if _, err := p.SetJobs(cfgs); err != nil {
		b.Fatal(err)
	}
	chs := p.Process(snap)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	runtime.KeepAlive(chs)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}
