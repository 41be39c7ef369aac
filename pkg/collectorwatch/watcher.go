package collectorwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// DefaultGracePeriod is collector_not_ready_grace_period's default.
const DefaultGracePeriod = 30 * time.Second

// Watcher maintains the collector set from pod events and pushes it to a callback whenever it changes.
type Watcher struct {
	grace    time.Duration
	clock    clock.WithDelayedExecution
	onChange func([]target.Collector)
	reg      cache.ResourceEventHandlerRegistration

	// draining: report terminating members with Collector.Draining instead of dropping them (ReportDraining).
	draining bool

	mu      sync.Mutex
	pods    map[string]*podState
	last    []target.Collector
	started bool
	// synced is read without w.mu: /readyz must answer at once even while a publish (which holds w.mu and
	// calls into the allocator) waits behind a large allocation.
	synced atomic.Bool
}

type podState struct {
	collector target.Collector
	member    bool
	// draining: a member whose pod is terminating but still running; reported with Draining when asked for.
	draining bool
	// timer runs while a member is not ready; when it fires, the member drops out. gen tells a stale firing from
	// the current one.
	timer clock.Timer
	gen   uint64
}

// PodInformer is what the Watcher needs of a SharedInformerFactory's pod informer
// (factory.Core().V1().Pods()). Call New before starting the factory.
type PodInformer interface {
	Informer() cache.SharedIndexInformer
}

// New registers a Watcher on a pod informer. grace is collector_not_ready_grace_period; zero disables health
// filtering. onChange receives the sorted collector set, a fresh slice each time, only when it changed and only
// after Run saw the informer synced; calls are serialised. clk times the grace period; nil means the real clock.
func New(pods PodInformer, grace time.Duration, onChange func([]target.Collector), clk clock.WithDelayedExecution) (*Watcher, error) {
	if pods == nil || onChange == nil {
		return nil, errors.New("collectorwatch: pod informer and callback are required")
	}
	if grace < 0 {
		return nil, fmt.Errorf("collectorwatch: negative grace period %v", grace)
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	w := &Watcher{grace: grace, clock: clk, onChange: onChange, pods: map[string]*podState{}}
	reg, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.update(obj) },
		UpdateFunc: func(_, obj any) { w.update(obj) },
		DeleteFunc: w.delete,
	})
	if err != nil {
		return nil, fmt.Errorf("collectorwatch: registering pod handler: %w", err)
	}
	w.reg = reg
	return w, nil
}

// Run waits until the informer delivered its initial list, publishes the first collector set, and then keeps
// publishing changes until ctx ends. Publishing starts only after the initial list, so that start-up produces one
// set rather than one per pod.
func (w *Watcher) Run(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), w.reg.HasSynced) {
		return fmt.Errorf("collectorwatch: pod informer did not sync: %w", context.Cause(ctx))
	}
	w.mu.Lock()
	w.started = true
	w.publishLocked()
	w.synced.Store(true)
	w.mu.Unlock()
	klog.FromContext(ctx).V(2).Info("Collector watcher synced")

	<-ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = false
	for _, ps := range w.pods {
		if ps.timer != nil {
			ps.timer.Stop()
		}
	}
	return nil
}

// ReportDraining makes the watcher report a member whose pod starts terminating (deletionTimestamp set, still
// Running) as Draining until the pod is gone, instead of dropping it at once: under make-before-break handoff
// it keeps serving its targets until their new owners have fetched them. Call before Run.
func (w *Watcher) ReportDraining() { w.draining = true }

// HasSynced reports whether the first collector set has been published.
func (w *Watcher) HasSynced() bool {
	return w.synced.Load()
}

// Collectors returns the current collector set, sorted by name.
func (w *Watcher) Collectors() []target.Collector {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.last)
}

func (w *Watcher) update(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ps := w.pods[pod.Name]
	if ps == nil {
		ps = &podState{}
		w.pods[pod.Name] = ps
	}
	ps.collector = target.Collector{Name: pod.Name, Node: pod.Spec.NodeName, PodIP: pod.Status.PodIP}

	h := podHealth(pod)
	if h != gone {
		ps.draining = false // a pod of that name that is not terminating (a replacement) holds nothing
	}
	switch {
	case h == gone:
		w.stopTimer(ps)
		// A member that starts terminating while running drains; one that was not a member holds nothing.
		ps.draining = w.draining && (ps.member || ps.draining) && pod.DeletionTimestamp != nil &&
			pod.Status.Phase == corev1.PodRunning
		ps.member = false
	case w.grace == 0 || h == healthy:
		w.stopTimer(ps)
		ps.member = true
	case ps.member && ps.timer == nil:
		// A member turned not ready: it keeps its targets for the grace period.
		ps.gen++
		gen, name := ps.gen, pod.Name
		// The callback runs on its own goroutine: a fake clock calls it while holding its lock.
		ps.timer = w.clock.AfterFunc(w.grace, func() { go w.expire(name, gen) })
	}
	w.publishLocked()
}

func (w *Watcher) delete(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ps := w.pods[pod.Name]; ps != nil {
		w.stopTimer(ps)
		delete(w.pods, pod.Name)
	}
	w.publishLocked()
}

// expire ends the grace period of a member that is still not ready.
func (w *Watcher) expire(name string, gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ps := w.pods[name]
	if ps == nil || ps.gen != gen || ps.timer == nil {
		return
	}
	ps.timer = nil
	ps.member = false
	w.publishLocked()
}

func (w *Watcher) stopTimer(ps *podState) {
	if ps.timer != nil {
		ps.timer.Stop()
		ps.timer = nil
		ps.gen++
	}
}

func (w *Watcher) publishLocked() {
	if !w.started {
		return
	}
	next := make([]target.Collector, 0, len(w.pods))
	for _, ps := range w.pods {
		switch {
		case ps.member:
			next = append(next, ps.collector)
		case ps.draining:
			c := ps.collector
			c.Draining = true
			next = append(next, c)
		}
	}
	slices.SortFunc(next, func(a, b target.Collector) int { return strings.Compare(a.Name, b.Name) })
	if w.synced.Load() && slices.Equal(next, w.last) {
		return
	}
	w.last = next
	w.onChange(slices.Clone(next))
}
