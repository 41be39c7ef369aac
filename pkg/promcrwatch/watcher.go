package promcrwatch

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringlisters "github.com/prometheus-operator/prometheus-operator/pkg/client/listers/monitoring/v1"
	monitoringv1alpha1listers "github.com/prometheus-operator/prometheus-operator/pkg/client/listers/monitoring/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// DefaultDebounce is how long a burst of changes is collected before one recomputation.
const DefaultDebounce = 500 * time.Millisecond

// Options are the watcher's sources and sink.
type Options struct {
	// Monitoring is the monitoring.coreos.com informer factory; the caller starts it after New.
	Monitoring monitoringinformers.SharedInformerFactory
	// Discovery tells which monitoring CRDs are served.
	Discovery discovery.DiscoveryInterface
	// Namespaces supplies namespace labels; its informer is used only when a namespace selector looks at labels.
	Namespaces coreinformers.NamespaceInformer
	// Secrets and ConfigMaps resolve credentials and TLS material referenced by monitors. ConfigMaps may be nil:
	// monitors that reference a ConfigMap are then invalid.
	Secrets    coreinformers.SecretInformer
	ConfigMaps coreinformers.ConfigMapInformer
	// Scoped, when not empty, replaces Secrets and ConfigMaps: the sources of each namespace whose Secrets and
	// ConfigMaps monitors may reference (the collector's and the admin's secret_namespaces), so the TA neither
	// needs nor caches the Secrets of the cluster, and of those namespaces holds only the values monitors use. A monitor referencing one elsewhere is invalid, with an
	// error that says so. The caller starts the factories behind them.
	Scoped map[string]ScopedNamespace
	// Settings are the TA config's prometheus_cr block.
	Settings taconfig.PrometheusCR
	// Global completes the generated jobs as the config file's global section completes its own jobs (scrape
	// timeout, limits); nil means Prometheus' defaults.
	Global *config.GlobalConfig
	// Recorder and Collector receive Events about invalid monitors and empty selections; either nil: no Events.
	Recorder  record.EventRecorder
	Collector *corev1.ObjectReference
	// Registerer receives the watcher's metrics; nil: none.
	Registerer prometheus.Registerer
	// Sink receives the complete list of CR-derived scrape configs, sorted by job name, after the first full load
	// and after every change that alters them. It is called from Run's goroutine, never concurrently.
	Sink func([]*config.ScrapeConfig)
	// Debounce is the window that coalesces bursts; DefaultDebounce when zero.
	Debounce time.Duration
	// SyncTimeout bounds the wait for the first load of each source (a missing permission makes a list fail
	// for ever); DefaultSyncTimeout when zero. See waitForSources.
	SyncTimeout time.Duration
}

// Watcher watches monitoring resources and pushes the scrape configs they generate to its sink.
type Watcher struct {
	opts      Options
	selectors promcr.Selectors
	served    servedKinds
	sources   []*source
	unsynced  atomic.Pointer[string] // what Unsynced reports
	trigger   chan struct{}
	done      atomic.Bool
	doneCh    chan struct{}
	metrics   *metrics
	reporter  *reporter

	serviceMonitors monitoringlisters.ServiceMonitorLister
	podMonitors     monitoringlisters.PodMonitorLister
	probes          monitoringlisters.ProbeLister
	scrapeConfigs   monitoringv1alpha1listers.ScrapeConfigLister
	namespaces      corelisters.NamespaceLister
	genOptions      promcr.Options
	referenced      map[string]*referencedSecrets // by namespace, with Options.Scoped
	last            []byte                        // the last configs pushed, encoded with secrets, to skip pushes that change nothing
}

// New checks which monitoring CRDs are served and registers informers for them (and for Secrets, ConfigMaps and,
// when selectors need them, Namespaces) on the caller's factories, so the factories' Start starts them.
func New(opts Options) (*Watcher, error) {
	if opts.Monitoring == nil || opts.Discovery == nil || (opts.Secrets == nil && len(opts.Scoped) == 0) || opts.Sink == nil {
		return nil, errors.New("promcrwatch: Monitoring, Discovery, Secrets (or Scoped) and Sink are required")
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = DefaultSyncTimeout
	}
	s := opts.Settings
	w := &Watcher{
		opts: opts,
		selectors: promcr.Selectors{
			ServiceMonitorSelector:          s.ServiceMonitorSelector,
			ServiceMonitorNamespaceSelector: s.ServiceMonitorNamespaceSelector,
			PodMonitorSelector:              s.PodMonitorSelector,
			PodMonitorNamespaceSelector:     s.PodMonitorNamespaceSelector,
			ProbeSelector:                   s.ProbeSelector,
			ProbeNamespaceSelector:          s.ProbeNamespaceSelector,
			ScrapeConfigSelector:            s.ScrapeConfigSelector,
			ScrapeConfigNamespaceSelector:   s.ScrapeConfigNamespaceSelector,
			AllowNamespaces:                 s.AllowNamespaces,
			DenyNamespaces:                  s.DenyNamespaces,
		},
		trigger:  make(chan struct{}, 1),
		doneCh:   make(chan struct{}),
		reporter: newReporter(opts.Recorder, opts.Collector),
	}
	if err := w.selectors.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus_cr: %w", err)
	}
	if err := promcr.ValidateScrapeClasses(s.ScrapeClasses); err != nil {
		return nil, fmt.Errorf("prometheus_cr: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	w.metrics = m
	if w.served, err = discoverServed(opts.Discovery); err != nil {
		return nil, err
	}

	mon := opts.Monitoring.Monitoring()
	for _, k := range []struct {
		served bool
		kind   string
		get    func() cache.SharedIndexInformer
	}{
		{w.served.serviceMonitors, promcr.KindServiceMonitor, func() cache.SharedIndexInformer {
			i := mon.V1().ServiceMonitors()
			w.serviceMonitors = i.Lister()
			return i.Informer()
		}},
		{w.served.podMonitors, promcr.KindPodMonitor, func() cache.SharedIndexInformer {
			i := mon.V1().PodMonitors()
			w.podMonitors = i.Lister()
			return i.Informer()
		}},
		{w.served.probes, promcr.KindProbe, func() cache.SharedIndexInformer {
			i := mon.V1().Probes()
			w.probes = i.Lister()
			return i.Informer()
		}},
		{w.served.scrapeConfigs, promcr.KindScrapeConfig, func() cache.SharedIndexInformer {
			i := mon.V1alpha1().ScrapeConfigs()
			w.scrapeConfigs = i.Lister()
			return i.Informer()
		}},
	} {
		if !k.served {
			// Logged once: the kind is then simply absent until the TA restarts.
			klog.InfoS("Monitoring CRD is not served; its resources are not watched", "kind", k.kind)
			continue
		}
		if err := w.watch(k.kind, k.get()); err != nil {
			return nil, err
		}
	}

	w.genOptions = promcr.Options{
		ScrapeInterval:       s.ScrapeInterval,
		ServiceDiscoveryRole: s.ServiceDiscoveryRole,
		ScrapeClasses:        s.ScrapeClasses,
		AllowFileAccess:      !s.DenyFSAccessThroughSMs,
	}
	if err := w.watchReferenced(); err != nil {
		return nil, err
	}
	// Namespace labels matter only to a namespace selector that is not {} (nil has been defaulted to {} by
	// taconfig); watching every namespace otherwise would cost memory and RBAC for nothing.
	if needsNamespaces(s) {
		if opts.Namespaces == nil {
			return nil, errors.New("promcrwatch: a prometheus_cr namespace selector needs namespace labels, but Options.Namespaces is nil")
		}
		if err := w.watch("Namespace", opts.Namespaces.Informer()); err != nil {
			return nil, err
		}
		w.namespaces = opts.Namespaces.Lister()
	}
	return w, nil
}

func needsNamespaces(s taconfig.PrometheusCR) bool {
	for _, sel := range []*metav1.LabelSelector{s.ServiceMonitorNamespaceSelector, s.PodMonitorNamespaceSelector,
		s.ProbeNamespaceSelector, s.ScrapeConfigNamespaceSelector} {
		if sel != nil && (len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0) {
			return true
		}
	}
	return false
}

// watch makes every add, update and delete of the informer's objects request a recomputation, and records the
// informer as a source whose first load Run waits for (bounded) and whose list errors it reports.
func (w *Watcher) watch(name string, inf cache.SharedIndexInformer) error {
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.poke() },
		UpdateFunc: func(any, any) { w.poke() },
		DeleteFunc: func(any) { w.poke() },
	})
	if err != nil {
		return fmt.Errorf("promcrwatch: adding event handler: %w", err)
	}
	src := &source{name: name, synced: reg.HasSynced}
	// Fails only for an informer already started, whose errors then go to client-go's default handler alone.
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		src.lastErr.Store(&err)
		cache.DefaultWatchErrorHandler(ctx, r, err)
	})
	w.sources = append(w.sources, src)
	return nil
}

// poke requests a recomputation without blocking the informer: one pending request covers any number of changes.
func (w *Watcher) poke() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// HasSynced reports whether the first full load is done: every informer synced and the first scrape configs
// (possibly none) reached the sink.
func (w *Watcher) HasSynced() bool { return w.done.Load() }

// Synced is closed when HasSynced turns true.
func (w *Watcher) Synced() <-chan struct{} { return w.doneCh }

// Run waits for the caches, pushes the first result, then recomputes after each burst of changes until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.waitForSources(ctx); err != nil {
		return err
	}
	// The sync itself poked the trigger for every object; the recomputation below covers all of that.
	select {
	case <-w.trigger:
	default:
	}
	w.recompute()
	w.done.Store(true)
	close(w.doneCh)
	timer := time.NewTimer(0)
	if !timer.Stop() {
		<-timer.C
	}
	pending := false
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-w.trigger:
			// The window opens at the first change and does not slide, so a steady stream of changes still
			// gets a recomputation every Debounce.
			if !pending {
				pending = true
				timer.Reset(w.opts.Debounce)
			}
		case <-timer.C:
			pending = false
			w.recompute()
		}
	}
}

// recompute lists everything from the caches, selects, generates, reports, and pushes to the sink when the
// scrape configs changed.
func (w *Watcher) recompute() {
	all, err := w.list()
	if err != nil {
		// Listers read a local cache and fail only on a broken selector, which New rejected.
		klog.ErrorS(err, "Listing monitoring resources")
		return
	}
	var namespaces []*corev1.Namespace
	if w.namespaces != nil {
		if namespaces, err = w.namespaces.List(labels.Everything()); err != nil {
			klog.ErrorS(err, "Listing namespaces")
			return
		}
	}
	selected, err := promcr.Select(w.selectors, all, namespaces)
	if err != nil {
		klog.ErrorS(err, "Selecting monitoring resources")
		return
	}
	res := promcr.Generate(selected, w.genOptions)
	for _, r := range w.referenced {
		r.sweep()
	}
	global := config.DefaultGlobalConfig
	if w.opts.Global != nil {
		global = *w.opts.Global
	}
	var incomplete []*promcr.ResourceError
	res.ScrapeConfigs, incomplete = applyGlobal(res.ScrapeConfigs, global)
	if len(incomplete) > 0 {
		res.Errors = append(res.Errors, incomplete...)
		slices.SortFunc(res.Errors, func(a, b *promcr.ResourceError) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
		})
	}

	c := counts{
		serviceMonitors: len(selected.ServiceMonitors), podMonitors: len(selected.PodMonitors),
		probes: len(selected.Probes), scrapeConfigs: len(selected.ScrapeConfigs),
		jobs: len(res.ScrapeConfigs), invalid: len(res.Errors),
	}
	w.updateMetrics(c, res.Errors)
	w.reporter.report(res.Errors, c, w.selectorsSet(), monitorRefs(selected))

	// Encoded with secrets only to compare with the last push; never served from here.
	enc, err := taconfig.ScrapeConfigsJSON(res.ScrapeConfigs, true)
	if err != nil {
		klog.ErrorS(err, "Encoding scrape configs from monitoring resources")
		enc = nil // push anyway; an encoding problem must not freeze the jobs
	}
	if enc != nil && w.done.Load() && bytes.Equal(enc, w.last) {
		return
	}
	w.last = enc
	w.opts.Sink(res.ScrapeConfigs)
}

func (w *Watcher) selectorsSet() bool {
	s := w.opts.Settings
	return s.ServiceMonitorSelector != nil || s.PodMonitorSelector != nil || s.ProbeSelector != nil || s.ScrapeConfigSelector != nil
}

func (w *Watcher) list() (promcr.Resources, error) {
	var r promcr.Resources
	var errs []error
	var err error
	if w.serviceMonitors != nil {
		r.ServiceMonitors, err = w.serviceMonitors.List(labels.Everything())
		errs = append(errs, err)
	}
	if w.podMonitors != nil {
		r.PodMonitors, err = w.podMonitors.List(labels.Everything())
		errs = append(errs, err)
	}
	if w.probes != nil {
		r.Probes, err = w.probes.List(labels.Everything())
		errs = append(errs, err)
	}
	if w.scrapeConfigs != nil {
		r.ScrapeConfigs, err = w.scrapeConfigs.List(labels.Everything())
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

func (w *Watcher) updateMetrics(c counts, errs []*promcr.ResourceError) {
	m := w.metrics
	m.recomputes.Inc()
	m.lastSuccess.SetToCurrentTime()
	m.jobs.Set(float64(c.jobs))
	m.selected.WithLabelValues(promcr.KindServiceMonitor).Set(float64(c.serviceMonitors))
	m.selected.WithLabelValues(promcr.KindPodMonitor).Set(float64(c.podMonitors))
	m.selected.WithLabelValues(promcr.KindProbe).Set(float64(c.probes))
	m.selected.WithLabelValues(promcr.KindScrapeConfig).Set(float64(c.scrapeConfigs))
	invalid := map[string]int{promcr.KindServiceMonitor: 0, promcr.KindPodMonitor: 0, promcr.KindProbe: 0, promcr.KindScrapeConfig: 0}
	for _, e := range errs {
		invalid[e.Kind]++
	}
	for kind, n := range invalid {
		m.invalid.WithLabelValues(kind).Set(float64(n))
	}
}
