// Package controller keeps every OpenTelemetryCollector's children as the resources package builds them, in the
// style of kubernetes/sample-controller: informer caches, one typed rate-limited workqueue of collector keys, N
// workers, and a sync that reads only from the caches and writes only what differs.
package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// QueueName names the workqueue in its metrics.
const QueueName = "opentelemetrycollector"

// Config is what the controller needs; main builds the clients, factories and recorder.
type Config struct {
	KubeClient kubernetes.Interface
	OtelClient versioned.Interface
	// Namespaces holds one entry per watched namespace, or a single entry with Namespace "" for all.
	Namespaces []NamespaceInformers
	Cluster    ClusterInformers
	Recorder   record.EventRecorder
	Options    resources.Options
	Metrics    *Metrics
}

// Controller reconciles OpenTelemetryCollectors.
type Controller struct {
	kube     kubernetes.Interface
	otel     versioned.Interface
	scopes   map[string]NamespaceInformers
	cluster  ClusterInformers
	recorder record.EventRecorder
	opts     resources.Options
	metrics  *Metrics
	kinds    []reconciler
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New wires the event handlers; the informers must not be started yet.
func New(cfg Config) (*Controller, error) {
	if len(cfg.Namespaces) == 0 {
		return nil, fmt.Errorf("no namespace informers given")
	}
	c := &Controller{
		kube:     cfg.KubeClient,
		otel:     cfg.OtelClient,
		scopes:   map[string]NamespaceInformers{},
		cluster:  cfg.Cluster,
		recorder: cfg.Recorder,
		opts:     cfg.Options,
		metrics:  cfg.Metrics,
		kinds:    childKinds(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: QueueName},
		),
	}
	if c.metrics == nil {
		c.metrics = NewMetrics(nil)
	}
	for _, n := range cfg.Namespaces {
		c.scopes[n.Namespace] = n
		if _, err := n.Collectors.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueCollector,
			UpdateFunc: func(_, obj any) { c.enqueueCollector(obj) },
			DeleteFunc: c.enqueueCollector,
		}); err != nil {
			return nil, fmt.Errorf("adding collector event handler: %w", err)
		}
		c.synced = append(c.synced, n.Collectors.Informer().HasSynced)
		for _, inf := range n.informers() {
			if err := c.watchChildren(inf); err != nil {
				return nil, err
			}
		}
		if n.TargetAllocatorEvents != nil {
			if err := c.watchTargetAllocatorEvents(n.TargetAllocatorEvents.Informer()); err != nil {
				return nil, err
			}
		}
	}
	for _, inf := range cfg.Cluster.informers() {
		if err := c.watchChildren(inf); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Controller) watchChildren(inf cache.SharedIndexInformer) error {
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.handleChild,
		UpdateFunc: func(old, obj any) {
			// Periodic resyncs deliver unchanged children; the collector's own resync covers drift.
			if o, ok := old.(interface{ GetResourceVersion() string }); ok {
				if n, ok := obj.(interface{ GetResourceVersion() string }); ok && o.GetResourceVersion() == n.GetResourceVersion() {
					return
				}
			}
			c.handleChild(obj)
		},
		DeleteFunc: c.handleChild,
	})
	if err != nil {
		return fmt.Errorf("adding child event handler: %w", err)
	}
	c.synced = append(c.synced, inf.HasSynced)
	return nil
}

// scope returns the informers that cache namespace ns.
func (c *Controller) scope(ns string) NamespaceInformers {
	if s, ok := c.scopes[ns]; ok {
		return s
	}
	return c.scopes[""]
}

// watched tells whether the operator manages collectors in ns; keys of other namespaces (from cluster-scoped
// children) are ignored rather than taken for deleted collectors.
func (c *Controller) watched(ns string) bool {
	_, ok := c.scopes[ns]
	_, all := c.scopes[""]
	return ok || all
}

func (c *Controller) enqueueCollector(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
}

// handleChild enqueues the collector a child belongs to: through its controller reference, or, for
// cluster-scoped children, through the instance label "<namespace>.<name>".
func (c *Controller) handleChild(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		if ref.Kind == "OpenTelemetryCollector" && strings.HasPrefix(ref.APIVersion, v1alpha1.GroupName+"/") {
			c.queue.Add(o.GetNamespace() + "/" + ref.Name)
		}
		return
	}
	l := o.GetLabels()
	if l[resources.LabelManagedBy] != resources.ManagedByValue {
		return
	}
	if ns, name, ok := strings.Cut(l[resources.LabelInstance], "."); ok && c.watched(ns) {
		c.queue.Add(ns + "/" + name)
	}
}

// Run waits for the caches, then runs workers until ctx ends; it returns after the workers stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Waiting for informer caches to sync")
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		if ctx.Err() != nil {
			return nil // stopped before the caches synced: a clean shutdown
		}
		return fmt.Errorf("caches did not sync")
	}
	logger.Info("Starting workers", "count", workers)
	done := make(chan struct{})
	for range workers {
		go func() {
			wait.UntilWithContext(ctx, c.runWorker, time.Second)
			done <- struct{}{}
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	for range workers {
		<-done
	}
	logger.Info("Workers stopped")
	return nil
}

// HasSynced tells whether every cache has synced (for /readyz).
func (c *Controller) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

// processNextWorkItem handles one key: Forget on success, AddRateLimited on error, Done always.
func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "collector", key)
	ctx = klog.NewContext(ctx, logger)
	start := time.Now()
	err := c.safeSync(ctx, key)
	c.metrics.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		c.metrics.reconciles.WithLabelValues("error").Inc()
		c.queue.AddRateLimited(key)
		if apierrors.IsConflict(err) {
			// Our cache was behind a write (often the user's edit of the collector); the retry reads the new one.
			logger.V(4).Info("Sync hit a stale object, will retry", "err", err)
			return true
		}
		logger.Error(err, "Sync failed, will retry", "retries", c.queue.NumRequeues(key))
		return true
	}
	c.metrics.reconciles.WithLabelValues("success").Inc()
	c.queue.Forget(key)
	return true
}

// safeSync turns a panic while syncing one collector into an error for that key: one strange CR must not take
// the operator, and with it every other collector, down.
func (c *Controller) safeSync(ctx context.Context, key string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while syncing %s: %v", key, r)
		}
	}()
	return c.sync(ctx, key)
}
