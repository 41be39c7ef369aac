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
	"github.com/spf13/pflag"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/logformat"
	"github.com/otelcol-operator/otelcol-operator/pkg/version"
)

// DefaultCollectorImage is the collector the operator deploys when a CR names none: pinned, so an operator
// release always deploys the collector it was tested with.
const DefaultCollectorImage = "otel/opentelemetry-collector-contrib:0.165.0"

type options struct {
	// logFormat is --log-format (text or json); logVerbosity is klog's -v, which the JSON sink needs too.
	logFormat, logVerbosity string
	// printVersion prints the build's version and exits.
	printVersion           bool
	kubeconfig             string
	namespaces             []string
	workers                int
	resync                 time.Duration
	leaderElect            bool
	leaseName              string
	leaseNamespace         string
	leaseDuration          time.Duration
	renewDeadline          time.Duration
	retryPeriod            time.Duration
	collectorImage         string
	targetAllocatorImage   string
	collectorIDPlaceholder string
	metricsAddr            string
	// allowClusterWideTAs lets the operator bind the fixed cluster-wide ClusterRoles to target allocators.
	allowClusterWideTAs    bool
	allowScrapeConfigFiles bool
	// kubeAPIQPS and kubeAPIBurst bound the operator's requests to the API server (client-go's client-side limit).
	kubeAPIQPS   float32
	kubeAPIBurst int
}

// inClusterNamespaceFile holds the pod's namespace in a cluster (mounted with the service account token).
var inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// parseFlags reads GNU-style flags (pflag, as Kubernetes components do); klog's flags are included.
func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("operator", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.BoolVar(&o.printVersion, "version", false, "print the version, commit and Go version, then exit")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; empty means in-cluster config")
	fs.StringSliceVar(&o.namespaces, "namespaces", nil, "comma-separated namespaces to watch; empty means all")
	fs.IntVar(&o.workers, "workers", 2, "collectors reconciled in parallel")
	fs.DurationVar(&o.resync, "resync", 10*time.Minute, "how often every collector is checked against its children even without events; 0 turns it off")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "reconcile only while holding the leader Lease, so several replicas can run (the shipped Deployment sets it)")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long standbys wait after the last renewal before taking the Lease")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it stops; less than the lease duration")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second, "how often to try to take or renew the Lease")
	fs.StringVar(&o.leaseName, "leader-elect-resource-name", "otelcol-operator", "name of the leader election Lease")
	fs.StringVar(&o.leaseNamespace, "leader-elect-resource-namespace", "", "namespace of the leader election Lease; empty means the pod's own namespace ($POD_NAMESPACE or the service account's), required outside a cluster")
	// The names of earlier releases keep working.
	fs.StringVar(&o.leaseName, "leader-elect-lease-name", "otelcol-operator", "")
	fs.StringVar(&o.leaseNamespace, "leader-elect-namespace", "", "")
	_ = fs.MarkDeprecated("leader-elect-lease-name", "use --leader-elect-resource-name")
	_ = fs.MarkDeprecated("leader-elect-namespace", "use --leader-elect-resource-namespace")
	fs.StringVar(&o.collectorImage, "collector-image", DefaultCollectorImage, "collector image for CRs that name none")
	fs.StringVar(&o.targetAllocatorImage, "target-allocator-image", "ghcr.io/otelcol-operator/target-allocator:"+version.ImageTag(), "target allocator image for CRs that name none")
	fs.StringVar(&o.collectorIDPlaceholder, "collector-id-placeholder", configrewrite.DefaultCollectorIDPlaceholder,
		"collector id written into the http_sd URLs; current collectors expand only ${env:POD_NAME}")
	fs.BoolVar(&o.allowScrapeConfigFiles, configrewrite.AllowFileAccessFlag, false,
		"let collector CRs with a target allocator name files in scrape configs (credentials_file, bearer_token_file, tls_config *_file, kubeconfig_file, file_sd files, ...); "+
			"the target allocator opens them with its own identity, so only allow it when every CR author may read the pods' files")
	// client-go's defaults (5 QPS, burst 10) made a first sync of 50 collectors take 3 minutes (test/scale) and
	// queued their Events behind it. The API server's priority and fairness still protects the control plane.
	fs.Float32Var(&o.kubeAPIQPS, "kube-api-qps", 50, "sustained requests per second to the Kubernetes API server")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", 100, "requests allowed in a burst above --kube-api-qps")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":8080", "address of /metrics, /healthz, /livez and /readyz")
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	fs.AddGoFlagSet(klogFlags)
	fs.StringVar(&o.logFormat, "log-format", logformat.Text, "log format: text (klog lines) or json (one JSON object per line)")
	fs.BoolVar(&o.allowClusterWideTAs, "allow-cluster-wide-target-allocators", false,
		"bind the fixed ClusterRoles otelcol-operator-targetallocator-discovery and -monitoring to target allocators whose config reads beyond their namespace; "+
			"every collector author then reads those objects (never Secrets) cluster-wide. Off, target allocators read their own namespace only")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	namespaces := o.namespaces
	o.namespaces = nil
	for _, ns := range namespaces {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.namespaces = append(o.namespaces, ns)
		}
	}
	if err := logformat.Check(o.logFormat); err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	o.logVerbosity = klogFlags.Lookup("v").Value.String()
	if o.workers < 1 {
		return nil, fmt.Errorf("--workers must be at least 1, got %d", o.workers)
	}
	if o.kubeAPIQPS <= 0 || o.kubeAPIBurst < 1 {
		return nil, fmt.Errorf("--kube-api-qps must be positive and --kube-api-burst at least 1, got %g and %d", o.kubeAPIQPS, o.kubeAPIBurst)
	}
	if o.resync < 0 {
		return nil, fmt.Errorf("--resync must not be negative, got %s", o.resync)
	}
	if !o.leaderElect {
		return o, nil
	}
	// client-go's own rules, checked here so a bad combination is a flag error rather than a panic.
	if o.retryPeriod <= 0 || o.renewDeadline <= 0 || o.leaseDuration <= o.renewDeadline {
		return nil, fmt.Errorf("leader election needs 0 < --leader-elect-retry-period, 0 < --leader-elect-renew-deadline < --leader-elect-lease-duration; got %s, %s, %s",
			o.retryPeriod, o.renewDeadline, o.leaseDuration)
	}
	if float64(o.renewDeadline) <= 1.2*float64(o.retryPeriod) {
		return nil, fmt.Errorf("--leader-elect-renew-deadline (%s) must be more than 1.2 times --leader-elect-retry-period (%s)", o.renewDeadline, o.retryPeriod)
	}
	if o.leaseName == "" {
		return nil, fmt.Errorf("--leader-elect-resource-name must not be empty")
	}
	if o.leaseNamespace == "" {
		o.leaseNamespace = os.Getenv("POD_NAMESPACE")
	}
	if o.leaseNamespace == "" {
		if b, err := os.ReadFile(inClusterNamespaceFile); err == nil {
			o.leaseNamespace = strings.TrimSpace(string(b))
		}
	}
	if o.leaseNamespace == "" {
		return nil, fmt.Errorf("--leader-elect needs --leader-elect-resource-namespace outside a cluster (no $POD_NAMESPACE, no %s)", inClusterNamespaceFile)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, pflag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.printVersion {
		fmt.Println(version.Get().String("operator"))
		return
	}
	if err := logformat.Configure(o.logFormat, o.logVerbosity, os.Stderr); err != nil {
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
		"leaderElect", o.leaderElect, "lease", o.leaseNamespace+"/"+o.leaseName, "collectorImage", o.collectorImage, "targetAllocatorImage", o.targetAllocatorImage,
		"allowClusterWideTargetAllocators", o.allowClusterWideTAs)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerClientMetrics(reg)
	registerLeaderMetrics(reg)
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
		err = op.runWithLeaderElection(ctx, o, op.controller.Run)
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
