package main

import (
	"context"
	"fmt"

	monitoringclient "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	otelscheme "github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned/scheme"
	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// operator holds the clients, informer factories and controller main builds.
type operator struct {
	kube        kubernetes.Interface
	controller  *controller.Controller
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	starters    []interface {
		Start(<-chan struct{})
		Shutdown()
	}
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (pass --kubeconfig outside a cluster): %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}

func newOperator(ctx context.Context, o *options, reg prometheus.Registerer) (*operator, error) {
	cfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "otelcol-operator"
	cfg.QPS, cfg.Burst = o.kubeAPIQPS, o.kubeAPIBurst
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	otel, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("opentelemetry client: %w", err)
	}
	monitoring, err := monitoringclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("monitoring client: %w", err)
	}

	// Events name the collector by kind, so the recorder's scheme must know our types.
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := otelscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	op := &operator{kube: kube, broadcaster: record.NewBroadcaster(record.WithContext(ctx))}
	op.broadcaster.StartStructuredLogging(4)
	op.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	op.recorder = op.broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "otelcol-operator"})

	// Child informers see only objects with our managed-by label: the operator never caches the cluster's
	// other ConfigMaps, Services or workloads.
	managed := informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = controller.ManagedBySelector })
	namespaces := o.namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	var scopes []controller.NamespaceInformers
	for _, ns := range namespaces {
		otelFactory := otelinformers.NewSharedInformerFactoryWithOptions(otel, o.resync, otelinformers.WithNamespace(ns))
		kubeFactory := informers.NewSharedInformerFactoryWithOptions(kube, o.resync, informers.WithNamespace(ns), managed)
		// The target allocator's Events on collectors (it may not write their status; the operator does).
		eventFactory := informers.NewSharedInformerFactoryWithOptions(kube, o.resync, informers.WithNamespace(ns), controller.TargetAllocatorEventsOption())
		scope := controller.NamespaceInformersFrom(ns, otelFactory, kubeFactory)
		scope.TargetAllocatorEvents = controller.TargetAllocatorEventsFrom(eventFactory)
		scopes = append(scopes, scope)
		op.starters = append(op.starters, otelFactory, kubeFactory, eventFactory)
	}
	clusterFactory := informers.NewSharedInformerFactoryWithOptions(kube, o.resync, managed)
	op.starters = append(op.starters, clusterFactory)

	op.controller, err = controller.New(controller.Config{
		KubeClient: kube,
		OtelClient: otel,
		Namespaces: scopes,
		Cluster:    controller.ClusterInformersFrom(clusterFactory),
		Recorder:   op.recorder,
		// ServiceMonitors of observability.metrics.enableMetrics, when discovery says the kind is served.
		MonitoringClient: monitoring,
		Options: resources.Options{
			CollectorImage:                   o.collectorImage,
			TargetAllocatorImage:             o.targetAllocatorImage,
			CollectorIDPlaceholder:           o.collectorIDPlaceholder,
			AllowClusterWideTargetAllocators: o.allowClusterWideTAs,
			AllowScrapeConfigFiles:           o.allowScrapeConfigFiles,
		},
		Metrics: controller.NewMetrics(reg),
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

func (op *operator) start(ctx context.Context) {
	for _, s := range op.starters {
		s.Start(ctx.Done())
	}
}

// shutdown waits for the informers' goroutines and flushes pending Events.
func (op *operator) shutdown() {
	for _, s := range op.starters {
		s.Shutdown()
	}
	op.broadcaster.Shutdown()
}
