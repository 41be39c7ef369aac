// Command operator keeps OpenTelemetryCollector resources' children (collector workload, config, Services and
// the optional Target Allocator) as their spec says.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/version"
)

// DefaultCollectorImage is the collector the operator deploys when a CR names none: pinned, so an operator
// release always deploys the collector it was tested with.
const DefaultCollectorImage = "otel/opentelemetry-collector-contrib:0.165.0"

type options struct {
	kubeconfig             string
	namespaces             []string
	workers                int
	resync                 time.Duration
	leaderElect            bool
	leaseName              string
	leaseNamespace         string
	collectorImage         string
	targetAllocatorImage   string
	collectorIDPlaceholder string
	metricsAddr            string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("operator", flag.ContinueOnError)
	klog.InitFlags(fs)
	var namespaces string
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; empty means in-cluster config")
	fs.StringVar(&namespaces, "namespaces", "", "comma-separated namespaces to watch; empty means all")
	fs.IntVar(&o.workers, "workers", 2, "collectors reconciled in parallel")
	fs.DurationVar(&o.resync, "resync", 10*time.Minute, "how often every collector is checked against its children even without events")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "run only while holding the leader Lease, so several replicas can run")
	fs.StringVar(&o.leaseName, "leader-elect-lease-name", "otelcol-operator", "name of the leader election Lease")
	fs.StringVar(&o.leaseNamespace, "leader-elect-namespace", "", "namespace of the leader election Lease; empty means $POD_NAMESPACE, else otelcol-operator-system")
	fs.StringVar(&o.collectorImage, "collector-image", DefaultCollectorImage, "collector image for CRs that name none")
	fs.StringVar(&o.targetAllocatorImage, "target-allocator-image", "ghcr.io/otelcol-operator/target-allocator:"+version.ImageTag(), "target allocator image for CRs that name none")
	fs.StringVar(&o.collectorIDPlaceholder, "collector-id-placeholder", configrewrite.DefaultCollectorIDPlaceholder,
		"collector id written into the http_sd URLs; current collectors expand only ${env:POD_NAME}")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":8080", "address of /metrics, /healthz, /livez and /readyz")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, ns := range strings.Split(namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.namespaces = append(o.namespaces, ns)
		}
	}
	if o.workers < 1 {
		return nil, fmt.Errorf("--workers must be at least 1, got %d", o.workers)
	}
	if o.leaseNamespace == "" {
		o.leaseNamespace = os.Getenv("POD_NAMESPACE")
	}
	if o.leaseNamespace == "" {
		o.leaseNamespace = "otelcol-operator-system"
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = klog.NewContext(ctx, klog.Background())
	if err := run(ctx, o); err != nil {
		klog.ErrorS(err, "Operator failed")
		klog.Flush()
		os.Exit(1)
	}
	klog.Info("Operator stopped")
	klog.Flush()
}

// run starts everything and returns when ctx ends (SIGTERM) or leadership is lost, after the workers finished.
func run(ctx context.Context, o *options) error {
	logger := klog.FromContext(ctx)
	logger.Info("Starting operator", "version", version.Version, "namespaces", o.namespaces, "workers", o.workers,
		"leaderElect", o.leaderElect, "collectorImage", o.collectorImage, "targetAllocatorImage", o.targetAllocatorImage)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerClientMetrics(reg)
	workqueue.SetProvider(newWorkqueueMetrics(reg))

	op, err := newOperator(ctx, o, reg)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := serveHTTP(ctx, o.metricsAddr, reg, op.controller.HasSynced); err != nil {
			errs <- fmt.Errorf("metrics server: %w", err)
			cancel()
		}
	}()

	// Caches fill before and independently of leadership, so a standby takes over with warm caches.
	op.start(ctx)
	if o.leaderElect {
		err = op.runWithLeaderElection(ctx, o)
	} else {
		err = op.controller.Run(ctx, o.workers)
	}
	cancel()
	op.shutdown()
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}
