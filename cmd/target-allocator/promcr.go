package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringclient "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned"
	"github.com/prometheus/client_golang/prometheus"
	promconfig "github.com/prometheus/prometheus/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcrwatch"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// prometheusCR is the running watch of monitoring resources: its watcher, and the factories and Event
// broadcaster that main owns for it.
type prometheusCR struct {
	watcher     *promcrwatch.Watcher
	monitoring  monitoringinformers.SharedInformerFactory
	core        informers.SharedInformerFactory
	scoped      []informers.SharedInformerFactory        // ConfigMaps, one per readable namespace
	scopedMeta  []metadatainformer.SharedInformerFactory // Secret metadata, one per readable namespace
	broadcaster record.EventBroadcaster
	stopOnce    sync.Once
}

// newPrometheusCR builds the clients and factories for watching monitoring resources. Namespaces come from a
// factory of their own (the TA's other factory is filtered to collector pods); Secrets and ConfigMaps from one
// factory per namespace in which monitors may reference them (the collector's and secret_namespaces), so the
// TA's role needs Secret read only there and the TA caches no other Secrets. syncTimeout bounds the wait for
// sources the TA may not list.
func newPrometheusCR(ctx context.Context, restConfig *rest.Config, kube kubernetes.Interface, cfg *taconfig.Config,
	reg prometheus.Registerer, syncTimeout time.Duration, sink func([]*promconfig.ScrapeConfig)) (*prometheusCR, error) {
	mon, err := monitoringclient.NewForConfig(restConfig)
	if err != nil {
		return nil, fmt.Errorf("monitoring.coreos.com client: %w", err)
	}
	p := &prometheusCR{
		monitoring: monitoringinformers.NewSharedInformerFactory(mon, 0),
		core:       informers.NewSharedInformerFactory(kube, 0),
	}
	if allow := cfg.PrometheusCR.AllowNamespaces; len(allow) == 1 {
		// One allowed namespace (the operator writes this when the target allocator may read only its own):
		// watch only there, which is all a namespaced RoleBinding lets it list.
		p.monitoring = monitoringinformers.NewSharedInformerFactoryWithOptions(mon, 0, monitoringinformers.WithNamespace(allow[0]))
		p.core = informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(allow[0]))
	}
	collector := promcrwatch.CollectorRef(os.Getenv(promcrwatch.CollectorNameEnv), cfg.CollectorNamespace, cfg.CollectorSelector)
	var recorder record.EventRecorder
	if collector != nil {
		p.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
		p.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
		recorder = p.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "target-allocator"})
	} else {
		klog.InfoS("No OpenTelemetryCollector known: problems with monitoring resources are logged but not reported as Events",
			"hint", "set "+promcrwatch.CollectorNameEnv+" or an app.kubernetes.io/instance label in collector_selector")
	}
	core := p.core.Core().V1()
	var scoped map[string]promcrwatch.ScopedNamespace
	if cfg.CollectorNamespace != "" {
		meta, err := metadata.NewForConfig(restConfig)
		if err != nil {
			p.shutdown()
			return nil, fmt.Errorf("metadata client: %w", err)
		}
		scoped = map[string]promcrwatch.ScopedNamespace{}
		for _, ns := range secretNamespaces(cfg) {
			f := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
			mf := metadatainformer.NewFilteredSharedInformerFactory(meta, 0, ns, nil)
			p.scoped = append(p.scoped, f)
			p.scopedMeta = append(p.scopedMeta, mf)
			secrets := kube.CoreV1().Secrets(ns)
			scoped[ns] = promcrwatch.ScopedNamespace{
				SecretMetadata: mf.ForResource(corev1.SchemeGroupVersion.WithResource("secrets")).Informer(),
				GetSecret: func(ctx context.Context, name string) (*corev1.Secret, error) {
					return secrets.Get(ctx, name, metav1.GetOptions{})
				},
				ConfigMaps: f.Core().V1().ConfigMaps(),
			}
		}
	} else {
		// Without a known namespace there is nothing to scope to; the role decides what the TA may read.
		klog.InfoS("collector_namespace is not set: Secrets and ConfigMaps referenced by monitors are read cluster-wide")
	}
	var global *promconfig.GlobalConfig
	if cfg.PromConfig != nil {
		global = &cfg.PromConfig.GlobalConfig
	}
	p.watcher, err = promcrwatch.New(promcrwatch.Options{
		Monitoring: p.monitoring,
		Discovery:  kube.Discovery(),
		Namespaces: core.Namespaces(),
		Secrets:    core.Secrets(),
		ConfigMaps: core.ConfigMaps(),
		Scoped:     scoped,
		Settings:   cfg.PrometheusCR,
		Global:     global,
		Recorder:   recorder,
		Collector:  collector,
		Registerer: reg,
		Sink:       sink,
		// Discovery starts after the first load, so this is also the longest the static jobs wait.
		SyncTimeout: syncTimeout,
	})
	if err != nil {
		p.shutdown()
		return nil, err
	}
	return p, nil
}

func (p *prometheusCR) start(stop <-chan struct{}) {
	p.monitoring.Start(stop)
	p.core.Start(stop)
	for _, f := range p.scoped {
		f.Start(stop)
	}
	for _, f := range p.scopedMeta {
		f.Start(stop)
	}
}

// secretNamespaces are the namespaces whose Secrets and ConfigMaps monitors may reference: the collector's and
// those the admin lists in prometheus_cr.secret_namespaces (the reference's key), sorted, without repeats. The
// TA needs Secret read in each (a RoleBinding the admin grants); one it may not list is reported as unsynced.
func secretNamespaces(cfg *taconfig.Config) []string {
	out := append([]string{cfg.CollectorNamespace}, cfg.PrometheusCR.SecretNamespaces...)
	slices.Sort(out)
	return slices.Compact(slices.DeleteFunc(out, func(ns string) bool { return ns == "" }))
}

// shutdown waits for the informers to stop and flushes nothing more to the API; safe to call more than once.
func (p *prometheusCR) shutdown() {
	p.stopOnce.Do(func() {
		p.monitoring.Shutdown()
		p.core.Shutdown()
		for _, f := range p.scoped {
			f.Shutdown()
		}
		for _, f := range p.scopedMeta {
			f.Shutdown()
		}
		if p.broadcaster != nil {
			p.broadcaster.Shutdown()
		}
	})
}
