package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// A child whose labels were removed drops out of the label-filtered cache; the operator must take it back. The
// fake clientset filters lists by label but not watches, so the state is built as a real API server leaves it:
// the child exists, controlled by the collector, without our labels, and the informer never listed it.
func TestRemovedLabelsAreRestored(t *testing.T) {
	col := seed(t)
	name := resources.CollectorName(col.Name)
	stripped := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: col.Namespace, Name: name, Labels: map[string]string{"kept": "yes"},
		OwnerReferences: []metav1.OwnerReference{*resources.OwnerReference(col)},
	}}
	f := newFixture(t, col, stripped)
	if _, err := f.c.scope(col.Namespace).ConfigMaps.Lister().ConfigMaps(col.Namespace).Get(name); err == nil {
		t.Fatal("the unlabelled ConfigMap is in the label-filtered cache: the test no longer plays a lost child")
	}
	f.converge()
	got, err := f.kube.CoreV1().ConfigMaps(col.Namespace).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels[resources.LabelManagedBy] != resources.ManagedByValue || got.Labels[resources.LabelInstance] != resources.InstanceValue(col) {
		t.Errorf("labels not restored: %v", got.Labels)
	}
	if got.Data[resources.CollectorConfigKey] == "" {
		t.Errorf("content not restored: %v", got.Data)
	}
	if !hasEvent(f.recorder, "Normal "+ReasonReclaimed) {
		t.Error("no Reclaimed event")
	}
	// Back in the cache, so that the operator manages it again from events.
	waitFor(t, func() bool {
		_, err := f.c.scope(col.Namespace).ConfigMaps.Lister().ConfigMaps(col.Namespace).Get(name)
		return err == nil
	})
}

// kubectl delete --cascade=orphan removes the owner references of the children; a collector of the same name
// (a new UID) adopts the ones that carry its labels.
func TestOrphansAreAdopted(t *testing.T) {
	f := newFixture(t, seed(t))
	f.converge()
	name := resources.CollectorName("collector-with-ta")
	sts, err := f.kube.AppsV1().StatefulSets("default").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sts.OwnerReferences = nil
	if _, err := f.kube.AppsV1().StatefulSets("default").Update(f.ctx, sts, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		s, err := f.c.scope("default").StatefulSets.Lister().StatefulSets("default").Get(name)
		return err == nil && len(s.OwnerReferences) == 0
	})
	f.converge()
	got, _ := f.kube.AppsV1().StatefulSets("default").Get(f.ctx, name, metav1.GetOptions{})
	if ref := metav1.GetControllerOf(got); ref == nil || ref.UID != "uid-seed" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("not adopted: owner references %+v", got.OwnerReferences)
	}
	if !hasEvent(f.recorder, "Normal "+ReasonAdopted) {
		t.Error("no Adopted event")
	}
}

// A child controlled by something else is never adopted, even with our labels.
func TestChildOfAnotherControllerIsNotAdopted(t *testing.T) {
	other := true
	foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: resources.CollectorName("collector-with-ta"), Namespace: "default",
		Labels:          map[string]string{resources.LabelManagedBy: resources.ManagedByValue, resources.LabelInstance: "default.collector-with-ta"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p", UID: "other", Controller: &other}}}}
	f := newFixture(t, seed(t), foreign)
	f.converge()
	got, _ := f.kube.CoreV1().ConfigMaps("default").Get(f.ctx, foreign.Name, metav1.GetOptions{})
	if ref := metav1.GetControllerOf(got); ref == nil || ref.UID != "other" || len(got.Data) != 0 {
		t.Errorf("another controller's ConfigMap was taken: %+v", got)
	}
	if c := readyCondition(f.collector()); c.Reason != ReasonChildConflict {
		t.Errorf("Reconciled = %+v, want %s", c, ReasonChildConflict)
	}
}

// When the ConfigMap cannot be written, the workload must not roll to the new config hash.
func TestConfigFailureHoldsWorkloads(t *testing.T) {
	f := newFixture(t, seed(t))
	f.converge()
	f.kube.PrependReactor("update", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("quota exceeded")
	})
	col := f.collector()
	col.Spec.Config = strings.Replace(col.Spec.Config, "debug:", "debug:\n    verbosity: detailed", 1)
	col.Generation++
	if _, err := f.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Update(f.ctx, col, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		c, err := f.c.scope("default").Collectors.Lister().OpenTelemetryCollectors("default").Get(col.Name)
		return err == nil && c.Generation == col.Generation
	})
	f.writes()
	err := f.c.sync(f.ctx, seedKey)
	if err == nil || !errors.As(err, new(*heldError)) {
		t.Fatalf("sync error %v, want the config failure", err)
	}
	for _, w := range f.writes() {
		if strings.Contains(w, "statefulsets") || strings.Contains(w, "deployments") || strings.Contains(w, "daemonsets") {
			t.Errorf("workload written although its ConfigMap failed: %s", w)
		}
	}
	if c := readyCondition(f.collector()); c.Reason != ReasonConfigFailed {
		t.Errorf("Reconciled = %+v, want %s", c, ReasonConfigFailed)
	}
}

// counting is a child kind that counts full syncs and fails each with a different message (as webhook request
// ids or quota counts do).
type counting struct{ n int }

func (k *counting) reconcile(context.Context, *Controller, *v1alpha1.OpenTelemetryCollector, *resources.Children, *result) error {
	k.n++
	return fmt.Errorf("denied, request %d", k.n)
}
func (*counting) cleanup(context.Context, *Controller, string, string) error { return nil }
func (*counting) role() kindRole                                             { return roleOther }

// Our own status write and the children the failed sync wrote come back as events; they must not run the failing
// sync again before the rate limiter's delay.
func TestFailureIsNotRetriedFasterThanTheRateLimiter(t *testing.T) {
	f := newFixture(t, seed(t))
	k := &counting{}
	f.c.kinds = append(f.c.kinds, k)
	// Delays long enough that a loaded machine cannot pass them while the test runs its steps.
	f.c.limiter = workqueue.NewTypedItemExponentialFailureRateLimiter[string](3*time.Second, 30*time.Second)
	// The informer's initial add event (a new collector: a full sync) arrives asynchronously; take it first.
	waitFor(t, func() bool { return f.c.queue.Len() == 1 })
	f.c.processNextWorkItem(f.ctx)
	if k.n != 1 {
		t.Fatalf("full syncs = %d, want 1", k.n)
	}
	// Status writes and child status changes (update events that change neither generation, labels nor
	// annotations), and the echoes of the children the failed sync itself wrote (full, but not new input).
	for i := range 6 {
		f.c.enqueue(seedKey, i%2 == 1)
		f.c.processNextWorkItem(f.ctx)
	}
	if k.n != 1 {
		t.Errorf("full syncs = %d after status-only updates, want 1: the failure was retried around the rate limiter", k.n)
	}
	// The rate-limited retry (3 s, then doubling) runs the full sync again, once.
	time.Sleep(3200 * time.Millisecond)
	for f.c.queue.Len() > 0 && k.n < 3 {
		f.c.processNextWorkItem(f.ctx)
	}
	if k.n != 2 {
		t.Errorf("full syncs = %d after the backoff, want 2", k.n)
	}
}

func TestCollectorStatusUpdateDoesNotRebuild(t *testing.T) {
	old := seed(t)
	old.ResourceVersion = "1"
	status := old.DeepCopy()
	status.ResourceVersion = "2"
	status.Status.ReadyReplicas = 3
	if collectorChanged(old, status) {
		t.Error("a status-only update asks for a rebuild")
	}
	spec := status.DeepCopy()
	spec.Generation++
	if !collectorChanged(old, spec) {
		t.Error("a spec change does not ask for a rebuild")
	}
	label := status.DeepCopy()
	label.Labels = map[string]string{"a": "b"}
	if !collectorChanged(old, label) {
		t.Error("a label change does not ask for a rebuild")
	}
	if !collectorChanged(old, old.DeepCopy()) {
		t.Error("a resync does not ask for the periodic full check")
	}
}

func TestConflictBackoffIsCapped(t *testing.T) {
	f := newFixture(t, seed(t))
	var d time.Duration
	for range 30 {
		d = f.c.retryFull(seedKey, true)
	}
	if d > maxConflictDelay || d <= 0 {
		t.Errorf("conflict retry after %s, want at most %s", d, maxConflictDelay)
	}
	if d := f.c.retryFull("other/x", false); d > time.Second {
		t.Errorf("first failure retried after %s", d)
	}
}

func TestAvailableFollowsThePods(t *testing.T) {
	tests := []struct {
		name                                      string
		gen, observed                             int64
		want, replicas, updated, ready, available int32
		ok                                        bool
	}{
		{"all ready", 2, 2, 3, 3, 3, 3, 3, true},
		{"rolling out", 2, 2, 3, 4, 1, 4, 4, false},
		{"crash looping", 1, 1, 2, 2, 2, 0, 0, false},
		{"spec not seen", 3, 2, 1, 1, 1, 1, 1, false},
		{"scaled to zero", 1, 1, 0, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		st := podsState("w", tt.gen, tt.observed, tt.want, tt.replicas, tt.updated, tt.ready, tt.available)
		if st.available != tt.ok {
			t.Errorf("%s: available %v (%s), want %v", tt.name, st.available, st.message, tt.ok)
		}
	}
	// Without pods (no kubelet here) the seed's collector is not Available, though every child was written.
	f := newFixture(t, seed(t))
	f.converge()
	c := meta.FindStatusCondition(f.collector().Status.Conditions, ConditionAvailable)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ReasonCollectorNotReady {
		t.Errorf("Available = %+v, want False/%s", c, ReasonCollectorNotReady)
	}
}
