package discovery

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// recorder is a sink that applies changes to a map, as the allocator would.
type recorder struct {
	mu      sync.Mutex
	jobs    map[string]map[uint64]*target.Target
	changes int
}

func (r *recorder) sink(chs []target.JobChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.jobs == nil {
		r.jobs = map[string]map[uint64]*target.Target{}
	}
	for _, ch := range chs {
		r.changes++
		if ch.Delete {
			delete(r.jobs, ch.Job)
			continue
		}
		m := r.jobs[ch.Job]
		if m == nil {
			m = map[uint64]*target.Target{}
			r.jobs[ch.Job] = m
		}
		for _, h := range ch.Remove {
			delete(m, h)
		}
		for _, t := range ch.Upsert {
			m[t.Hash] = t
		}
	}
}

func (r *recorder) addresses(job string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, t := range r.jobs[job] {
		out[t.Address] = true
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startDiscovery(t *testing.T, ready time.Duration) (*Discovery, *recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	d, err := New(ctx, Options{Registerer: prometheus.NewRegistry(), Sink: rec.sink, FilterRelabel: true, ReadyTimeout: ready})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return d, rec
}

func TestDiscoveryStaticConfigs(t *testing.T) {
	d, rec := startDiscovery(t, time.Hour)
	err := d.ApplyConfig(scrapeConfigs(t, `
scrape_configs:
- job_name: static
  static_configs:
  - targets: [a:1, b:1]
  - targets: [c:1]
  relabel_configs:
  - source_labels: [__address__]
    regex: b:1
    action: drop
- job_name: empty
`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "readiness", d.Ready)
	if got := rec.addresses("static"); len(got) != 2 || !got["a:1"] || !got["c:1"] {
		t.Errorf("static job targets = %v, want a:1 and c:1", got)
	}
	rec.mu.Lock()
	_, registered := rec.jobs["empty"]
	rec.mu.Unlock()
	if !registered {
		t.Errorf("job without targets was not registered")
	}

	// A configuration change reaches the sink: the job goes, another comes.
	if err := d.ApplyConfig(scrapeConfigs(t, "scrape_configs:\n- job_name: other\n  static_configs:\n  - targets: [d:1]\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new job's target", func() bool { return rec.addresses("other")["d:1"] })
	rec.mu.Lock()
	_, stale := rec.jobs["static"]
	rec.mu.Unlock()
	if stale {
		t.Errorf("removed job still present")
	}
}

func TestDiscoveryReadyAfterBoundedWait(t *testing.T) {
	d, _ := startDiscovery(t, 300*time.Millisecond)
	// A kubernetes SD config against an API server that does not answer never delivers.
	err := d.ApplyConfig(scrapeConfigs(t, `
scrape_configs:
- job_name: k8s
  kubernetes_sd_configs:
  - role: pod
    api_server: http://127.0.0.1:1
`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Ready() {
		t.Fatal("ready before any discovery and before the wait ran out")
	}
	waitFor(t, "readiness after the bounded wait", d.Ready)
}

func TestKubeconfigInjection(t *testing.T) {
	cfgs := scrapeConfigs(t, `
scrape_configs:
- job_name: in
  kubernetes_sd_configs:
  - role: pod
  - role: pod
    api_server: https://example:6443
  static_configs:
  - targets: [x:1]
`)
	got := sdConfigs(cfgs, "/kube/config")["in"]
	var kubeconfigs []string
	for _, c := range got {
		if k, ok := c.(interface{ Name() string }); ok && k.Name() == "kubernetes" {
			kubeconfigs = append(kubeconfigs, kubeconfigOf(c))
		}
	}
	if len(kubeconfigs) != 2 || kubeconfigs[0] != "/kube/config" || kubeconfigs[1] != "" {
		t.Errorf("kubeconfigs = %q, want the path only where no api_server is set", kubeconfigs)
	}
	if kubeconfigOf(cfgs[0].ServiceDiscoveryConfigs[0]) != "" {
		t.Errorf("the scrape config itself was modified")
	}
}
