package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	promconfig "github.com/prometheus/prometheus/config"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/collectorwatch"
	"github.com/otelcol-operator/otelcol-operator/pkg/discovery"
	"github.com/otelcol-operator/otelcol-operator/pkg/mtls"
	"github.com/otelcol-operator/otelcol-operator/pkg/server"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// run wires the target allocator: the collector watcher and discovery push into the allocator, and the HTTP
// server reads the allocator's snapshots. It returns when ctx ends (SIGTERM) or a part fails.
func run(ctx context.Context, o *options) error {
	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}
	for _, w := range cfg.NotApplicable {
		klog.Warningf("Config key not applicable, accepted and ignored: %s", w)
	}
	listenAddr := cfg.ListenAddr
	restConfig, kubeconfigUsed, err := clientConfig(cfg.KubeConfigFilePath)
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
	if cfg.AllowInsecureAuthSecrets {
		klog.Warning("allow_insecure_auth_secrets is set: /scrape_configs serves credentials in clear on plain HTTP to anyone who can reach it; prefer https.enabled (mTLS)")
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	handoff := cfg.Handoff.Mode == taconfig.HandoffMakeBeforeBreak
	var allocOpts []allocator.Option
	if handoff {
		allocOpts = append(allocOpts, allocator.WithHandoff(allocator.Handoff{Enabled: true, Margin: cfg.Handoff.Margin,
			DefaultRefreshInterval: cfg.Handoff.DefaultRefreshInterval, MaxHold: cfg.Handoff.MaxHold}))
	}
	allocOpts = append(allocOpts, allocator.WithResponseCache(responseCacheBudget(o.responseCache, o.responseCacheSet, debug.SetMemoryLimit(-1))))
	alloc, err := allocator.New(cfg.AllocationStrategy, cfg.AllocationFallbackStrategy, allocOpts...)
	if err != nil {
		return err
	}
	registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "targetallocator_response_cache_bytes",
		Help: "Memory held by http_sd responses kept assembled (bounded by --response-cache-size).",
	}, func() float64 { return float64(alloc.CachedResponseBytes()) }))

	informerOptions, err := collectorwatch.InformerOptions(cfg.CollectorNamespace, cfg.CollectorSelector)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informerOptions...)
	events, err := referenceWiringMetrics(registry, factory.Core().V1().Pods().Lister())
	if err != nil {
		return err
	}
	setCollectors := func(cs []target.Collector) {
		events.WithLabelValues(eventCollectors).Inc()
		alloc.SetCollectors(cs)
	}
	watcher, err := collectorwatch.New(factory.Core().V1().Pods(), cfg.CollectorNotReadyGracePeriod, setCollectors, nil)
	if err != nil {
		return err
	}
	if handoff {
		watcher.ReportDraining() // terminating collectors keep their targets until the new owners fetched them
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go alloc.RunHandoff(ctx)
	disc, err := discovery.New(ctx, discovery.Options{
		Registerer: registry,
		Sink: func(changes []target.JobChange) {
			events.WithLabelValues(eventDiscovery).Inc()
			alloc.Apply(changes...)
		},
		FilterRelabel: cfg.FilterRelabel(),
		// Out of cluster, kubernetes SD configs without credentials use the TA's own kubeconfig.
		KubeconfigPath: kubeconfigUsed,
		ReadyTimeout:   o.readyTimeout,
	})
	if err != nil {
		return err
	}
	jobs, err := newJobs(scrapeConfigs, disc.ApplyConfig, cfg.AllowInsecureAuthSecrets, registry)
	if err != nil {
		return err
	}
	var promCR *prometheusCR
	if cfg.PrometheusCR.Enabled {
		// Discovery gets its first configuration with the first full load of monitors, not before: applied
		// earlier, it could turn ready on the static jobs alone and serve collectors lists without the CR jobs.
		promCR, err = newPrometheusCR(ctx, restConfig, kube, cfg, registry, o.readyTimeout, func(cr []*promconfig.ScrapeConfig) {
			events.WithLabelValues(eventPrometheusCR).Inc()
			if err := jobs.update(cr); err != nil {
				klog.ErrorS(err, "Applying scrape configs from monitoring resources; keeping the previous ones")
			}
		})
		if err != nil {
			return err
		}
		defer promCR.shutdown()
	} else if err := jobs.update(nil); err != nil {
		return err
	}
	checks := []server.ReadyCheck{
		{Name: "collectors-synced", Ready: watcher.HasSynced},
		{Name: "discovery-first-update", Ready: disc.Ready},
	}
	if promCR != nil {
		checks = append(checks, server.ReadyCheck{Name: "prometheus-cr-synced", Ready: promCR.watcher.HasSynced,
			Degraded: promCR.watcher.Unsynced})
	}

	handler, err := server.New(server.Options{
		Snapshot:      alloc.Snapshot,
		ScrapeConfigs: jobs.plainBody,
		ScrapeConfig:  jobs.scrapeConfig,
		Origins:       origins(disc),
		Dropped:       dropped(disc),
		Pprof:         o.pprof,
		ReadyChecks:   checks,
		Registerer:    registry,
		Gatherer:      registry,
		Fetched:       alloc.ObserveFetch,
	})
	if err != nil {
		return err
	}
	// Both listeners get the same read, write and idle timeouts and header limit (pkg/server.DefaultLimits).
	servers := []*http.Server{server.NewHTTPServer(handler, server.DefaultLimits)}
	listeners := []net.Listener{}
	var certs *mtls.Server
	if cfg.HTTPS.Enabled {
		// A second handler over the same snapshot whose /scrape_configs carries credentials. It registers no
		// metrics (they would clash with the first handler's), so its requests are not in the HTTP metrics.
		secured, err := server.New(server.Options{
			Snapshot:      alloc.Snapshot,
			ScrapeConfigs: jobs.securedBody,
			ScrapeConfig:  jobs.scrapeConfig,
			ReadyChecks:   checks,
			Gatherer:      registry,
			Fetched:       alloc.ObserveFetch,
		})
		if err != nil {
			return err
		}
		// Certificate, key and CA are reloaded when their files change (Run below).
		if certs, err = mtls.New(mtls.Files{CertFile: cfg.HTTPS.TLSCertFilePath, KeyFile: cfg.HTTPS.TLSKeyFilePath,
			CAFile: cfg.HTTPS.CAFilePath}, 0); err != nil {
			return fmt.Errorf("https: %w", err)
		}
		addr := cfg.HTTPS.ListenAddr
		if addr == "" {
			addr = taconfig.DefaultHTTPSListenAddr
		}
		l, err := certs.Listen(addr)
		if err != nil {
			return fmt.Errorf("https: listen on %s: %w", addr, err)
		}
		defer l.Close()
		servers = append(servers, server.NewHTTPServer(secured, server.DefaultLimits))
		listeners = append(listeners, l)
	}
	listener, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listenAddr, err)
	}
	listeners = append([]net.Listener{listener}, listeners...)
	klog.InfoS("Target allocator starting", "listenAddr", listener.Addr().String(), "namespace", cfg.CollectorNamespace,
		"strategy", cfg.AllocationStrategy, "jobs", len(scrapeConfigs), "config", o.configFile,
		"prometheusCR", cfg.PrometheusCR.Enabled, "https", cfg.HTTPS.Enabled)

	errs := make(chan error, 8)
	var wg sync.WaitGroup
	wg.Go(func() { releaseAfterFirstLoad(ctx, disc.Ready) })
	for i, srv := range servers {
		l := listeners[i]
		wg.Go(func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http server on %s: %w", l.Addr(), err)
			}
		})
	}
	wg.Go(func() {
		if promCR != nil {
			// Discovery's bounded wait for jobs without targets starts with its first configuration, which
			// comes with the first full load of monitors.
			select {
			case <-promCR.watcher.Synced():
			case <-ctx.Done():
				return
			}
		}
		if err := disc.Run(ctx); err != nil {
			errs <- fmt.Errorf("discovery: %w", err)
		}
	})
	if certs != nil {
		wg.Go(func() {
			if err := certs.Run(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("mTLS certificate watch: %w", err)
			}
		})
	}
	wg.Go(func() {
		if err := watcher.Run(ctx); err != nil && ctx.Err() == nil {
			errs <- fmt.Errorf("collector watcher: %w", err)
		}
	})
	if promCR != nil {
		wg.Go(func() {
			if err := promCR.watcher.Run(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("prometheus CR watcher: %w", err)
			}
		})
		promCR.start(ctx.Done())
	}
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
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil && runErr == nil {
			runErr = fmt.Errorf("http server shutdown: %w", err)
		}
	}
	factory.Shutdown()
	if promCR != nil {
		promCR.shutdown()
	}
	wg.Wait()
	return runErr
}

// origins adapts discovery's answer to the server's type, so the server does not depend on discovery.
func origins(d *discovery.Discovery) func(string, uint64) []server.Origin {
	return func(job string, hash uint64) []server.Origin {
		os := d.Origins(job, hash)
		if os == nil {
			return nil
		}
		out := make([]server.Origin, len(os))
		for i, o := range os {
			out[i] = server.Origin(o)
		}
		return out
	}
}

// dropped adapts discovery's dropped entries to the server's type.
func dropped(d *discovery.Discovery) func(string, func([]byte) bool, int) ([]server.DroppedEntry, bool) {
	return func(job string, match func([]byte) bool, limit int) ([]server.DroppedEntry, bool) {
		es, more := d.Dropped(job, match, limit)
		out := make([]server.DroppedEntry, len(es))
		for i, e := range es {
			out[i] = server.DroppedEntry{Job: e.Job, Origin: server.Origin(e.Origin), Item: e.Item}
		}
		return out, more
	}
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

// releaseAfterFirstLoad returns the first load's garbage to the OS once discovery is ready. The first load
// allocates several times what it keeps (decoded target groups, the first encoding of every response), and the
// runtime keeps a heap of twice the live size and hands the rest back slowly: without this, the TA's resident
// memory stays at the load's high-water mark while it idles. One forced collection, when nothing else is
// happening yet, costs about a pass over the live heap.
func releaseAfterFirstLoad(ctx context.Context, ready func() bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !ready() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	debug.FreeOSMemory()
}

// responseCacheBudget is the response cache's size: the flag's value, or for the default at most an eighth of
// the memory limit (GOMEMLIMIT, set from the container's limit), so that a small container keeps its memory for
// the targets.
func responseCacheBudget(flag int64, set bool, memLimit int64) int64 {
	if set || memLimit <= 0 || memLimit == math.MaxInt64 {
		return flag
	}
	return min(flag, memLimit/8)
}
