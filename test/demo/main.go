// Command demo shows the whole system on one machine with no cluster and no docker: it starts kube-apiserver and
// etcd on loopback (built from Go modules by hack/control-plane.sh), runs the operator and a target allocator per
// collector as local processes (the same binaries that run in a cluster), applies the examples from
// manifests/examples, stands in for the kubelet by creating Running and Ready collector pods as the workloads ask
// for them, serves real /metrics targets on 127.0.0.1, and prints which collector got which target while
// collectors come and go. With -otelcol it also runs a real OpenTelemetry Collector per pod of the local example,
// with the config the operator wrote, and prints what each one actually scraped.
//
// Usage: go run ./test/demo [-bin bin] [-otelcol path/to/otelcol] [-once]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.binDir, "bin", "bin", "directory holding the operator and target-allocator binaries (make build)")
	flag.StringVar(&o.workDir, "workdir", "", "directory for kubeconfig, configs and process logs (default: a new temporary directory)")
	flag.BoolVar(&o.once, "once", false, "run one round (show, scale up, scale down) and exit; used by the tests")
	flag.DurationVar(&o.step, "step", 15*time.Second, "time between collector scale changes in the live view")
	flag.StringVar(&o.otelcol, "otelcol", "", "collector binary (hack/otelcol.sh builds it): run one real collector per pod of the local example and check what they scrape; empty shows only what the target allocator hands out")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
