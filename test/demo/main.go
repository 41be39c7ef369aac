// Command demo shows the whole system on one machine with no cluster and no docker: it starts kube-apiserver and
// etcd on loopback (built from Go modules by hack/control-plane.sh), runs the operator and a target allocator per
// collector as local processes (the same binaries that run in a cluster), applies the examples from
// manifests/examples, stands in for the kubelet by creating Running and Ready collector pods as the workloads ask
// for them, serves real /metrics targets on 127.0.0.1, and prints which collector got which target while
// collectors come and go.
//
// Usage: go run ./test/demo [-bin bin] [-once]
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
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
