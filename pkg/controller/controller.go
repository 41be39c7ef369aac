// Package controller keeps every OpenTelemetryCollector's children as the resources package builds them, in the
// style of kubernetes/sample-controller: informer caches, one typed rate-limited workqueue of collector keys, N
// workers, and a sync that reads only from the caches and writes only what differs.
package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	monitoringclient "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/certissuer"
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
	// MonitoringClient writes the ServiceMonitors of observability.metrics.enableMetrics; nil turns them off.
	MonitoringClient monitoringclient.Interface
	// CertificatePolicy are the lifetimes of the mTLS certificates; zero means certissuer.DefaultPolicy.
	CertificatePolicy certissuer.Policy
	// Now is the clock of certificate planning; nil means time.Now.
	Now func() time.Time
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
	// monitoring writes ServiceMonitors; monServed caches discovery's answer of monCheckedAt.
	monitoring   monitoringclient.Interface
	monMu        sync.Mutex
	monServed    bool
	monCheckedAt time.Time

	// certPolicy and now plan the mTLS certificates.
	certPolicy certissuer.Policy
	now        func() time.Time
	kinds      []reconciler
	// secrets is the Secret kind of kinds: a CR that cannot be built still gets its certificates renewed.
	secrets reconciler
	synced  []cache.InformerSynced
	limiter workqueue.TypedRateLimiter[string]
	queue   workqueue.TypedRateLimitingInterface[string]

	// pending records, per collector key, whether the next sync must rebuild the children (full) and, after a
	// failed one, not before when: every other reason to process the key (our own status writes, child status
	// changes) then refreshes only the status, so no failure is retried faster than the rate limiter allows.
	mu      sync.Mutex
	pending map[string]*keyState
}

type keyState struct {
	full      bool
	notBefore time.Time
	// renewAt asks for a full sync at that time: the certificate plan is due.
	renewAt time.Time
}

// maxConflictDelay caps the backoff of a sync that found a child's name taken: the foreign object is outside the
// label-filtered caches, so only a retry notices it is gone.
const maxConflictDelay = 10 * time.Second

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
		limiter:  workqueue.DefaultTypedControllerRateLimiter[string](),
		pending:  map[string]*keyState{},

		monitoring: cfg.MonitoringClient,
		certPolicy: cfg.CertificatePolicy,
		now:        cfg.Now,
	}
	if c.certPolicy == (certissuer.Policy{}) {
		c.certPolicy = certissuer.DefaultPolicy
	}
	if c.now == nil {
		c.now = time.Now
	}
	for _, k := range c.kinds {
		if s, ok := k.(*childKind[*corev1.Secret]); ok {
			c.secrets = s
		}
	}
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(c.limiter,
		workqueue.TypedRateLimitingQueueConfig[string]{Name: QueueName})
	if c.metrics == nil {
		c.metrics = NewMetrics(nil)
	}
	for _, n := range cfg.Namespaces {
		c.scopes[n.Namespace] = n
		if _, err := n.Collectors.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) { c.enqueueCollector(obj, true) },
			UpdateFunc: func(old, obj any) {
				c.enqueueCollector(obj, collectorChanged(old, obj))
			},
			DeleteFunc: func(obj any) { c.enqueueCollector(obj, true) },
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
		AddFunc: func(obj any) { c.handleChild(obj, true) },
		UpdateFunc: func(old, obj any) {
			o, _ := old.(metav1.Object)
			n, _ := obj.(metav1.Object)
			if o == nil || n == nil {
				return
			}
			// Periodic resyncs deliver unchanged children; the collector's own resync covers drift.
			if o.GetResourceVersion() == n.GetResourceVersion() {
				return
			}
			c.handleChild(obj, childChanged(o, n))
		},
		DeleteFunc: func(obj any) { c.handleChild(obj, true) },
	})
	if err != nil {
		return fmt.Errorf("adding child event handler: %w", err)
	}
	c.synced = append(c.synced, inf.HasSynced)
	return nil
}

// collectorChanged tells whether a collector update may change its children: a new generation (spec), labels,
// annotations, or the start of its deletion. Anything else (status, including our own writes) changes only the
// status. A resync (same resourceVersion) counts as a change: it is the periodic check of every child.
func collectorChanged(old, obj any) bool {
	o, ok1 := old.(metav1.Object)
	n, ok2 := obj.(metav1.Object)
	if !ok1 || !ok2 {
		return true
	}
	if rv := n.GetResourceVersion(); rv != "" && rv == o.GetResourceVersion() {
		return true // a resync: an API server never sends an empty resourceVersion
	}
	return o.GetGeneration() != n.GetGeneration() ||
		!maps.Equal(o.GetLabels(), n.GetLabels()) || !maps.Equal(o.GetAnnotations(), n.GetAnnotations()) ||
		(o.GetDeletionTimestamp() == nil) != (n.GetDeletionTimestamp() == nil)
}

// childChanged tells whether a child update may need a write: anything but a status change. Kinds without a
// generation (ConfigMaps, Services, RBAC) count every change; for workloads and PDBs the generation says whether
// the spec changed.
func childChanged(o, n metav1.Object) bool {
	if n.GetGeneration() == 0 || o.GetGeneration() != n.GetGeneration() {
		return true
	}
	return !maps.Equal(o.GetLabels(), n.GetLabels()) || !maps.Equal(o.GetAnnotations(), n.GetAnnotations()) ||
		!apiequality.Semantic.DeepEqual(o.GetOwnerReferences(), n.GetOwnerReferences()) ||
		(o.GetDeletionTimestamp() == nil) != (n.GetDeletionTimestamp() == nil)
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

func (c *Controller) enqueueCollector(obj any, full bool) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	if full {
		c.enqueueNewInput(key)
		return
	}
	c.enqueue(key, false)
}

// enqueueNewInput queues a full sync of key at once: the collector itself changed, which is new input the backoff
// of an earlier failure must not delay.
func (c *Controller) enqueueNewInput(key string) {
	c.mu.Lock()
	st := c.state(key)
	st.full, st.notBefore = true, time.Time{}
	c.mu.Unlock()
	c.queue.Add(key)
}

// enqueue queues key; full asks for a rebuild of the children. It keeps the backoff of a failed sync: a child's
// event is most often the echo of that very sync's own write, and honouring it at once would retry the failure
// around the rate limiter (the retry already queued runs the full sync when the delay is over).
func (c *Controller) enqueue(key string, full bool) {
	if full {
		c.mu.Lock()
		c.state(key).full = true
		c.mu.Unlock()
	}
	c.queue.Add(key)
}

// state returns key's entry; c.mu must be held. A key never seen needs a full sync.
func (c *Controller) state(key string) *keyState {
	st, ok := c.pending[key]
	if !ok {
		st = &keyState{full: true}
		c.pending[key] = st
	}
	return st
}

// takeFull tells whether this processing of key is a full sync, and clears the request when it is.
func (c *Controller) takeFull(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state(key)
	// renewAt is on the planner's clock, notBefore on the rate limiter's.
	if !st.renewAt.IsZero() && !c.now().Before(st.renewAt) {
		st.full = true
	}
	if !st.full || time.Now().Before(st.notBefore) {
		return false
	}
	st.full, st.renewAt = false, time.Time{}
	return true
}

// renewAfter schedules a full sync of key at at (the next certificate plan), without delaying any other.
func (c *Controller) renewAfter(key string, at time.Time) {
	c.mu.Lock()
	c.state(key).renewAt = at
	c.mu.Unlock()
	c.queue.AddAfter(key, at.Sub(c.now()))
}

// retryFull schedules the next full sync of key after the rate limiter's delay (capped for conflicts).
func (c *Controller) retryFull(key string, conflict bool) time.Duration {
	d := c.limiter.When(key)
	if conflict && d > maxConflictDelay {
		d = maxConflictDelay
	}
	c.mu.Lock()
	st := c.state(key)
	st.full, st.notBefore = true, time.Now().Add(d)
	c.mu.Unlock()
	c.queue.AddAfter(key, d)
	return d
}

// handleChild enqueues the collector a child belongs to: through its controller reference, or, for
// cluster-scoped children (and children whose owner reference was removed), through the owner annotations or the
// instance label. full is false for changes of a child's status only.
func (c *Controller) handleChild(obj any, full bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		if ref.Kind == "OpenTelemetryCollector" && strings.HasPrefix(ref.APIVersion, v1alpha1.GroupName+"/") {
			c.enqueue(o.GetNamespace()+"/"+ref.Name, full)
		}
		return
	}
	if o.GetLabels()[resources.LabelManagedBy] != resources.ManagedByValue {
		return
	}
	if a := o.GetAnnotations(); a[resources.AnnotationOwnerNamespace] != "" && a[resources.AnnotationOwnerName] != "" {
		if ns := a[resources.AnnotationOwnerNamespace]; c.watched(ns) {
			c.enqueue(ns+"/"+a[resources.AnnotationOwnerName], full)
		}
		return
	}
	if o.GetNamespace() != "" {
		// An orphaned namespaced child: the collectors of its namespace whose instance label it carries.
		c.enqueueByInstance(o.GetNamespace(), o.GetLabels()[resources.LabelInstance])
		return
	}
	// A cluster-scoped child from before the owner annotations: "<namespace>.<name>", unless truncated.
	if ns, name, ok := strings.Cut(o.GetLabels()[resources.LabelInstance], "."); ok && c.watched(ns) &&
		resources.InstanceLabelValue(ns, name) == o.GetLabels()[resources.LabelInstance] {
		c.enqueue(ns+"/"+name, true)
	}
}

// enqueueByInstance queues the collectors of namespace ns whose instance label value is instance.
func (c *Controller) enqueueByInstance(ns, instance string) {
	if !c.watched(ns) || instance == "" {
		return
	}
	cols, err := c.scope(ns).Collectors.Lister().OpenTelemetryCollectors(ns).List(labels.Everything())
	if err != nil {
		return
	}
	for _, col := range cols {
		if resources.InstanceValue(col) == instance {
			c.enqueue(ns+"/"+col.Name, true)
		}
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
	go func() {
		wait.UntilWithContext(ctx, c.watchMonitoringDiscovery, monitoringDiscoveryInterval)
		done <- struct{}{}
	}()
	<-ctx.Done()
	c.queue.ShutDown()
	for range workers + 1 {
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

// processNextWorkItem handles one key: a full sync when one is due, else a status refresh. A failed full sync
// is retried after the rate limiter's delay; a successful one resets the backoff.
func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "collector", key)
	ctx = klog.NewContext(ctx, logger)
	start := time.Now()
	full := c.takeFull(key)
	var err error
	if full {
		err = c.safeSync(ctx, key, c.sync)
	} else {
		err = c.safeSync(ctx, key, c.syncStatus)
	}
	c.metrics.duration.Observe(time.Since(start).Seconds())
	if err == nil {
		c.metrics.reconciles.WithLabelValues("success").Inc()
		if full {
			c.queue.Forget(key)
			c.forgetIfGone(key)
		}
		return true
	}
	c.metrics.reconciles.WithLabelValues("error").Inc()
	var conflict *conflictError
	isConflict := errors.As(err, &conflict)
	if !full {
		c.queue.AddRateLimited(key)
	}
	var d time.Duration
	if full {
		d = c.retryFull(key, isConflict)
	}
	switch {
	case isConflict:
		logger.V(2).Info("Child names taken, will retry", "conflicts", conflict.conflicts, "after", d)
	case apierrors.IsConflict(err):
		// Our cache was behind a write (often the user's edit of the collector); the retry reads the new one.
		logger.V(4).Info("Sync hit a stale object, will retry", "err", err, "after", d)
	default:
		logger.Error(err, "Sync failed, will retry", "full", full, "retries", c.queue.NumRequeues(key), "after", d)
	}
	return true
}

// forgetIfGone drops the bookkeeping of a collector that no longer exists.
func (c *Controller) forgetIfGone(key string) {
	if col, _, _, err := c.collector(key); err == nil && col == nil {
		c.mu.Lock()
		if st, ok := c.pending[key]; ok && !st.full {
			delete(c.pending, key)
		}
		c.mu.Unlock()
	}
}

// safeSync turns a panic while syncing one collector into an error for that key: one strange CR must not take
// the operator, and with it every other collector, down.
func (c *Controller) safeSync(ctx context.Context, key string, sync func(context.Context, string) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while syncing %s: %v", key, r)
		}
	}()
	return sync(ctx, key)
}
