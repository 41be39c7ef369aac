// Command bench measures the target allocator end to end: it builds the binary, starts a local control plane with
// K Ready collector pods, feeds the TA N targets and reports, per phase, time to serve, memory, CPU, http_sd
// latency, and whether every collector's served set is exactly right (no target missing, none served twice).
//
//	go run ./test/bench -targets 100000            # file_sd scenario
//	go run ./test/bench -scenario kubernetes -pods 20000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

type options struct {
	scenario   string
	targets    int
	files      int
	pods       int
	collectors int
	refresh    time.Duration
	idle       time.Duration
	load       time.Duration
	tags       string
	memlimit   string
	taBin      string
	taFlags    string
	pprofDir   string
}

func main() {
	o := options{}
	flag.StringVar(&o.scenario, "scenario", "file", "file (file_sd targets) or kubernetes (pod SD over the API server)")
	flag.IntVar(&o.targets, "targets", 100_000, "file scenario: targets, one per group, 17 __meta_kubernetes_* labels each")
	flag.IntVar(&o.files, "files", 10, "file scenario: files in one directory, one file_sd config each")
	flag.IntVar(&o.pods, "pods", 20_000, "kubernetes scenario: pods")
	flag.IntVar(&o.collectors, "collectors", 10, "Ready collector pods at start (one more joins later)")
	flag.DurationVar(&o.refresh, "refresh", 5*time.Second, "file_sd refresh_interval")
	flag.DurationVar(&o.idle, "idle", 20*time.Second, "idle period measured after ready")
	flag.DurationVar(&o.load, "load", 5*time.Second, "duration of the http_sd load phase")
	flag.StringVar(&o.tags, "tags", "", "build tags for the target allocator (sd_minimal: no cloud SD mechanisms)")
	flag.StringVar(&o.memlimit, "memlimit", "", "GOMEMLIMIT of the TA, as the TA derives it from a container's memory limit (e.g. 2GiB); none by default")
	flag.StringVar(&o.taBin, "ta-bin", "", "run this target allocator binary instead of building ./cmd/target-allocator (e.g. one built at an earlier commit)")
	flag.StringVar(&o.taFlags, "ta-flags", "", "extra flags for the target allocator, separated by spaces (e.g. --response-cache-size=1Gi)")
	flag.StringVar(&o.pprofDir, "pprof", "", "start the TA with --enable-pprof and write to this directory CPU profiles of the http_sd, replace and join phases (cpu-http_sd.pprof, cpu-replace.pprof, cpu-join.pprof) and heap profiles after the idle period and at the end (heap-idle.pprof, heap-end.pprof)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "ta-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := o.taBin
	if bin == "" {
		bin = filepath.Join(dir, "target-allocator")
		build := exec.Command("go", "build", "-tags="+o.tags, "-o", bin, "./cmd/target-allocator")
		build.Dir = testenv.RepoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build target allocator: %v\n%s", err, out)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	if o.pprofDir != "" {
		if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
			return err
		}
	}
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer env.Stop()
	kubeconfig, err := env.AdminKubeConfig("bench")
	if err != nil {
		return err
	}
	kcPath := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kcPath, kubeconfig, 0o600); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := newCluster(ctx, env.Config)
	if err != nil {
		return err
	}
	for i := range o.collectors {
		if err := c.addCollector(ctx, i); err != nil {
			return err
		}
	}
	var sc scenario
	switch o.scenario {
	case "file":
		sc, err = newFileScenario(dir, o)
	case "kubernetes":
		sc, err = newKubeScenario(ctx, c, o)
	default:
		err = fmt.Errorf("unknown scenario %q", o.scenario)
	}
	if err != nil {
		return err
	}
	r := &report{}
	r.header(o, sc)
	return measure(ctx, o, c, sc, bin, kcPath, dir, r)
}
