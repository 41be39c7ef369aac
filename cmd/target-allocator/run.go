package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/collectorwatch"
	"github.com/otelcol-operator/otelcol-operator/pkg/discovery"
	"github.com/otelcol-operator/otelcol-operator/pkg/server"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// run wires the target allocator: the collector watcher and discovery push into the allocator, and the HTTP
// server reads the allocator's snapshots. It returns when ctx ends (SIGTERM) or a part fails.
func run(ctx context.Context, o *options) error {
	cfg, err := taconfig.Load(o.configFile)
	if err != nil {
		return err
	}
	listenAddr := cfg.ListenAddr
	if o.listenAddr != "" {
		listenAddr = o.listenAddr
	}
	kubeconfig := cfg.KubeConfigFilePath
	if o.kubeconfig != "" {
		kubeconfig = o.kubeconfig
	}
	restConfig, kubeconfigUsed, err := clientConfig(kubeconfig)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	scrapeConfigs, err := cfg.ScrapeConfigs()
	if err != nil {
		return fmt.Errorf("%s: %w", o.configFile, err)
	}
	// Plain HTTP never carries credentials: they are redacted in /scrape_configs.
	scrapeConfigsJSON, err := taconfig.ScrapeConfigsJSON(scrapeConfigs, false)
	if err != nil {
		return err
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	alloc, err := allocator.New(cfg.AllocationStrategy, cfg.AllocationFallbackStrategy)
	if err != nil {
		return err
	}

	informerOptions, err := collectorwatch.InformerOptions(cfg.CollectorNamespace, cfg.CollectorSelector)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informerOptions...)
	watcher, err := collectorwatch.New(factory.Core().V1().Pods(), cfg.CollectorNotReadyGracePeriod, alloc.SetCollectors, nil)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	disc, err := discovery.New(ctx, discovery.Options{
		Registerer:    registry,
		Sink:          func(changes []target.JobChange) { alloc.Apply(changes...) },
		FilterRelabel: cfg.FilterRelabel(),
		// Out of cluster, kubernetes SD configs without credentials use the TA's own kubeconfig.
		KubeconfigPath: kubeconfigUsed,
		ReadyTimeout:   o.readyTimeout,
	})
	if err != nil {
		return err
	}
	if err := disc.ApplyConfig(scrapeConfigs); err != nil {
		return err
	}

	handler, err := server.New(server.Options{
		Snapshot:      alloc.Snapshot,
		ScrapeConfigs: func() []byte { return scrapeConfigsJSON },
		Ready:         func() bool { return watcher.HasSynced() && disc.Ready() },
		Registerer:    registry,
		Gatherer:      registry,
	})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listenAddr, err)
	}
	httpServer := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	klog.InfoS("Target allocator starting", "listenAddr", listener.Addr().String(), "namespace", cfg.CollectorNamespace,
		"strategy", cfg.AllocationStrategy, "jobs", len(scrapeConfigs), "config", o.configFile)

	errs := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := httpServer.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http server: %w", err)
		}
	})
	wg.Go(func() {
		if err := disc.Run(ctx); err != nil {
			errs <- fmt.Errorf("discovery: %w", err)
		}
	})
	wg.Go(func() {
		if err := watcher.Run(ctx); err != nil && ctx.Err() == nil {
			errs <- fmt.Errorf("collector watcher: %w", err)
		}
	})
	factory.Start(ctx.Done())

	var runErr error
	select {
	case <-ctx.Done():
		klog.InfoS("Shutting down")
	case runErr = <-errs:
	}
	cancel()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && runErr == nil {
		runErr = fmt.Errorf("http server shutdown: %w", err)
	}
	factory.Shutdown()
	wg.Wait()
	return runErr
}

// clientConfig returns the API client config and the kubeconfig path it came from ("" in cluster): an explicit
// path, else the in-cluster service account, else ~/.kube/config (or $KUBECONFIG).
func clientConfig(path string) (*rest.Config, string, error) {
	if path != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, "", fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		return cfg, path, nil
	}
	if cfg, err := rest.InClusterConfig(); err == nil {
		return cfg, "", nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("no kubeconfig given, not in a cluster, and the default kubeconfig failed: %w", err)
	}
	return cfg, rules.GetDefaultFilename(), nil
}
