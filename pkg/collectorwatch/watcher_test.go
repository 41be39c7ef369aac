package collectorwatch

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

const ns = "obs"

var collectorLabels = map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"}

func pod(name, node, ip string, phase corev1.PodPhase, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: collectorLabels},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: phase, PodIP: ip,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// harness runs a Watcher over a fake clientset with a fake clock and records every set it reports.
type harness struct {
	t       *testing.T
	kube    *fake.Clientset
	clock   *testingclock.FakeClock
	updates chan []target.Collector
	watcher *Watcher
}

func start(t *testing.T, grace time.Duration, pods ...*corev1.Pod) *harness {
	t.Helper()
	return startWith(t, grace, false, pods...)
}

// startWith starts a watcher; draining turns on ReportDraining before Run.
func startWith(t *testing.T, grace time.Duration, draining bool, pods ...*corev1.Pod) *harness {
	t.Helper()
	h := &harness{t: t, kube: fake.NewClientset(), clock: testingclock.NewFakeClock(time.Unix(1000, 0)),
		updates: make(chan []target.Collector, 100)}
	for _, p := range pods {
		if _, err := h.kube.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := InformerOptions(ns, &metav1.LabelSelector{MatchLabels: collectorLabels})
	if err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(h.kube, 0, opts...)
	h.watcher, err = New(factory.Core().V1().Pods(), grace, func(cs []target.Collector) { h.updates <- cs }, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	if draining {
		h.watcher.ReportDraining()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	factory.Start(ctx.Done())
	go func() {
		defer close(done)
		if err := h.watcher.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	return h
}

func (h *harness) next() []target.Collector {
	h.t.Helper()
	select {
	case cs := <-h.updates:
		return cs
	case <-time.After(5 * time.Second):
		h.t.Fatal("no collector update")
		return nil
	}
}

func (h *harness) expect(want ...string) {
	h.t.Helper()
	var got []string
	for _, c := range h.next() {
		got = append(got, c.Name)
	}
	if d := cmp.Diff(want, got); d != "" {
		h.t.Errorf("collectors (-want +got):\n%s", d)
	}
}

func (h *harness) quiet(d time.Duration) {
	h.t.Helper()
	select {
	case cs := <-h.updates:
		h.t.Fatalf("unexpected update %v", cs)
	case <-time.After(d):
	}
}

func (h *harness) update(p *corev1.Pod) {
	h.t.Helper()
	if _, err := h.kube.CoreV1().Pods(ns).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func TestInitialSetFollowsMembershipRules(t *testing.T) {
	terminating := pod("c-terminating", "n1", "10.0.0.4", corev1.PodRunning, true)
	terminating.DeletionTimestamp = &metav1.Time{Time: time.Unix(900, 0)}
	terminating.Finalizers = []string{"keep"}
	other := pod("web", "n1", "10.0.0.9", corev1.PodRunning, true)
	other.Labels = map[string]string{"app": "web"}
	h := start(t, 30*time.Second,
		pod("c-b", "n2", "10.0.0.2", corev1.PodRunning, true),
		pod("c-a", "n1", "10.0.0.1", corev1.PodRunning, true),
		pod("c-unscheduled", "", "", corev1.PodPending, false),
		pod("c-never-ready", "n2", "10.0.0.3", corev1.PodRunning, false),
		pod("c-failed", "n2", "10.0.0.5", corev1.PodFailed, false),
		terminating, other,
	)
	want := []target.Collector{{Name: "c-a", Node: "n1", PodIP: "10.0.0.1"}, {Name: "c-b", Node: "n2", PodIP: "10.0.0.2"}}
	if d := cmp.Diff(want, h.next()); d != "" {
		t.Errorf("initial set (-want +got):\n%s", d)
	}
	if !h.watcher.HasSynced() {
		t.Error("HasSynced false after the first report")
	}
	h.update(pod("c-never-ready", "n2", "10.0.0.3", corev1.PodRunning, true))
	h.expect("c-a", "c-b", "c-never-ready")
}

func TestNotReadyMemberKeepsItsPlaceForTheGracePeriod(t *testing.T) {
	h := start(t, 30*time.Second, pod("c-0", "n1", "a", corev1.PodRunning, true), pod("c-1", "n1", "b", corev1.PodRunning, true))
	h.expect("c-0", "c-1")

	h.update(pod("c-1", "n1", "b", corev1.PodRunning, false))
	h.quiet(200 * time.Millisecond)
	h.waitWaiters(true)
	h.clock.Step(29 * time.Second)
	h.quiet(100 * time.Millisecond)
	h.clock.Step(time.Second)
	h.expect("c-0")

	h.update(pod("c-1", "n1", "b", corev1.PodRunning, true))
	h.expect("c-0", "c-1")
}

func TestReadyAgainWithinGraceChangesNothing(t *testing.T) {
	h := start(t, 30*time.Second, pod("c-0", "n1", "a", corev1.PodRunning, true))
	h.expect("c-0")
	h.update(pod("c-0", "n1", "a", corev1.PodRunning, false))
	// Events arrive asynchronously: let the watcher arm its timer, then see the pod ready again (timer gone),
	// before time moves on.
	h.waitWaiters(true)
	h.update(pod("c-0", "n1", "a", corev1.PodRunning, true))
	h.waitWaiters(false)
	h.clock.Step(time.Minute)
	h.update(pod("c-0", "n1", "changed-ip", corev1.PodRunning, true))
	got := h.next()
	if len(got) != 1 || got[0].PodIP != "changed-ip" {
		t.Errorf("got %+v, want only the IP change reported", got)
	}
}

func TestZeroGraceDisablesHealthFiltering(t *testing.T) {
	h := start(t, 0, pod("c-0", "n1", "a", corev1.PodRunning, false), pod("c-1", "", "", corev1.PodPending, false))
	h.expect("c-0")
}

func TestDeletedPodLeaves(t *testing.T) {
	h := start(t, 30*time.Second, pod("c-0", "n1", "a", corev1.PodRunning, true), pod("c-1", "n1", "b", corev1.PodRunning, true))
	h.expect("c-0", "c-1")
	if err := h.kube.CoreV1().Pods(ns).Delete(context.Background(), "c-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.expect("c-1")
}

// With ReportDraining, a member whose pod starts terminating while running is reported as draining until the
// pod is gone; a pod that was never a member is not; a terminating pod that stops running leaves.
func TestTerminatingMemberDrains(t *testing.T) {
	h := startWith(t, 30*time.Second, true, pod("c-0", "n1", "a", corev1.PodRunning, true),
		pod("c-1", "n1", "b", corev1.PodRunning, true), pod("c-2", "n1", "c", corev1.PodPending, false))
	h.expect("c-0", "c-1")
	terminating := func(name string, phase corev1.PodPhase) {
		p, err := h.kube.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		p.DeletionTimestamp = &now
		p.Status.Phase = phase
		h.update(p)
	}
	terminating("c-0", corev1.PodRunning)
	got := h.next()
	want := []target.Collector{{Name: "c-0", Node: "n1", PodIP: "a", Draining: true}, {Name: "c-1", Node: "n1", PodIP: "b"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("after c-0 started terminating (-want +got):\n%s", d)
	}
	terminating("c-2", corev1.PodRunning) // never a member: holds nothing, no update
	h.quiet(200 * time.Millisecond)
	terminating("c-0", corev1.PodSucceeded) // its collector exited
	h.expect("c-1")
}

func TestTerminatingMemberLeavesAtOnceWithoutDraining(t *testing.T) {
	h := start(t, 30*time.Second, pod("c-0", "n1", "a", corev1.PodRunning, true), pod("c-1", "n1", "b", corev1.PodRunning, true))
	h.expect("c-0", "c-1")
	p, err := h.kube.CoreV1().Pods(ns).Get(context.Background(), "c-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	p.DeletionTimestamp = &now
	h.update(p)
	h.expect("c-1")
}

func TestInvalidInputs(t *testing.T) {
	if _, err := InformerOptions(ns, &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}); err == nil {
		t.Error("a selector with an unknown operator was accepted")
	}
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	if _, err := New(factory.Core().V1().Pods(), -time.Second, func([]target.Collector) {}, nil); err == nil {
		t.Error("a negative grace period was accepted")
	}
}

// waitWaiters waits until the fake clock has (or has no) pending timers.
func (h *harness) waitWaiters(want bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.clock.HasWaiters() != want {
		if time.Now().After(deadline) {
			h.t.Fatalf("fake clock waiters never became %v", want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
