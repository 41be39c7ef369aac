package testenv

import (
	"context"
	"fmt"
	"os"

	monitoringclient "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	otelscheme "github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned/scheme"
	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// StartOperator wires the controller as cmd/operator does, for every namespace, with the clients of cfg, and runs
// it with two workers until ctx ends; the returned function waits for it to stop and shuts the informers down.
// Informer resync is off, so a suite using it proves event handlers, not a periodic full check.
func StartOperator(ctx context.Context, cfg *rest.Config, opts resources.Options) (func(), error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	otel, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	monitoring, err := monitoringclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = otelscheme.AddToScheme(scheme)
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "otelcol-operator"})

	const resync = 0
	managed := informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = controller.ManagedBySelector })
	otelFactory := otelinformers.NewSharedInformerFactory(otel, resync)
	kubeFactory := informers.NewSharedInformerFactoryWithOptions(kube, resync, managed)
	eventFactory := informers.NewSharedInformerFactoryWithOptions(kube, resync, controller.TargetAllocatorEventsOption())
	scope := controller.NamespaceInformersFrom("", otelFactory, kubeFactory)
	scope.TargetAllocatorEvents = controller.TargetAllocatorEventsFrom(eventFactory)
	c, err := controller.New(controller.Config{
		KubeClient: kube,
		OtelClient: otel,
		Namespaces: []controller.NamespaceInformers{scope},
		Cluster:    controller.ClusterInformersFrom(kubeFactory),
		Recorder:   recorder,
		Options:    opts,

		MonitoringClient: monitoring,
	})
	if err != nil {
		return nil, err
	}
	otelFactory.Start(ctx.Done())
	kubeFactory.Start(ctx.Done())
	eventFactory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx, 2); err != nil {
			fmt.Fprintln(os.Stderr, "controller:", err)
		}
	}()
	return func() {
		<-done
		otelFactory.Shutdown()
		kubeFactory.Shutdown()
		eventFactory.Shutdown()
		broadcaster.Shutdown()
	}, nil
}
