package controller

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	otelfake "github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned/fake"
	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

const seedKey = "default/collector-with-ta"

type fixture struct {
	t        *testing.T
	ctx      context.Context
	kube     *kubefake.Clientset
	otel     *otelfake.Clientset
	recorder *record.FakeRecorder
	c        *Controller
}

func seed(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	b, err := os.ReadFile("../../manifests/examples/collector-with-ta.yaml")
	if err != nil {
		t.Fatal(err)
	}
	col := &v1alpha1.OpenTelemetryCollector{}
	if err := yaml.UnmarshalStrict(b, col); err != nil {
		t.Fatal(err)
	}
	col.Namespace = "default"
	col.UID = "uid-seed"
	col.Generation = 1
	return col
}

// newFixture starts informers on fake clientsets holding objs; tests drive sync directly.
func newFixture(t *testing.T, col *v1alpha1.OpenTelemetryCollector, kubeObjs ...runtime.Object) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, kube: kubefake.NewSimpleClientset(kubeObjs...), otel: otelfake.NewSimpleClientset(col), recorder: record.NewFakeRecorder(1000)}
	otelFactory := otelinformers.NewSharedInformerFactory(f.otel, 0)
	kubeFactory := informers.NewSharedInformerFactoryWithOptions(f.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = ManagedBySelector }))
	eventFactory := informers.NewSharedInformerFactoryWithOptions(f.kube, 0, TargetAllocatorEventsOption())
	scope := NamespaceInformersFrom("", otelFactory, kubeFactory)
	scope.TargetAllocatorEvents = TargetAllocatorEventsFrom(eventFactory)
	c, err := New(Config{
		KubeClient: f.kube,
		OtelClient: f.otel,
		Namespaces: []NamespaceInformers{scope},
		Cluster:    ClusterInformersFrom(kubeFactory),
		Recorder:   f.recorder,
		// Cluster-wide target allocators allowed, so cluster-scoped children are exercised.
		Options: resources.Options{CollectorImage: "collector:1", TargetAllocatorImage: "ta:1", AllowClusterWideTargetAllocators: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	otelFactory.Start(ctx.Done())
	kubeFactory.Start(ctx.Done())
	eventFactory.Start(ctx.Done())
	for _, s := range c.synced {
		for !s() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	f.c = c
	return f
}

// writes counts the API writes recorded since the last call, and forgets them.
func (f *fixture) writes() []string {
	var out []string
	for _, a := range append(f.kube.Actions(), f.otel.Actions()...) {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource+"/"+a.GetSubresource())
		}
	}
	f.kube.ClearActions()
	f.otel.ClearActions()
	return out
}

// converge syncs until a sync writes nothing (the caches need a moment to see our own writes) and returns every
// write made on the way.
func (f *fixture) converge() []string {
	f.t.Helper()
	var all []string
	for range 50 {
		if err := f.c.sync(f.ctx, seedKey); err != nil {
			f.t.Logf("sync: %v", err)
		}
		w := f.writes()
		if len(w) == 0 {
			// Make sure the caches were not merely behind: one more quiet sync after a pause.
			time.Sleep(100 * time.Millisecond)
			if err := f.c.sync(f.ctx, seedKey); err != nil {
				f.t.Logf("sync: %v", err)
			}
			if w = f.writes(); len(w) == 0 {
				return all
			}
		}
		all = append(all, w...)
		time.Sleep(50 * time.Millisecond)
	}
	f.t.Fatalf("no convergence; writes: %v", all)
	return nil
}

func (f *fixture) collector() *v1alpha1.OpenTelemetryCollector {
	f.t.Helper()
	col, err := f.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Get(f.ctx, "collector-with-ta", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return col
}

func (f *fixture) updateCollector(mutate func(*v1alpha1.OpenTelemetryCollector)) {
	f.t.Helper()
	col := f.collector()
	mutate(col)
	col.Generation++
	if _, err := f.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Update(f.ctx, col, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	// Wait for the cache to see it.
	for range 100 {
		cached, err := f.c.scope("default").Collectors.Lister().OpenTelemetryCollectors("default").Get("collector-with-ta")
		if err == nil && cached.Generation == col.Generation {
			f.writes() // the update above is not the controller's
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatal("cache never saw the collector update")
}

func readyCondition(col *v1alpha1.OpenTelemetryCollector) metav1.Condition {
	if c := meta.FindStatusCondition(col.Status.Conditions, ConditionReconciled); c != nil {
		return *c
	}
	return metav1.Condition{}
}

func TestSeedConvergesAndResyncIsQuiet(t *testing.T) {
	f := newFixture(t, seed(t))
	writes := f.converge()
	wantCreates := []string{
		"create configmaps/", "create configmaps/", "create serviceaccounts/", "create serviceaccounts/",
		"create rolebindings/", "create services/", "create services/", "create services/",
		"create deployments/", "create statefulsets/", "create poddisruptionbudgets/",
		"update opentelemetrycollectors/status",
	}
	// Available's message may change once the created workloads reach the cache ("does not exist" -> "0 of 1"):
	// a second status write, depending on timing.
	if n := len(writes); n == len(wantCreates)+1 && writes[n-1] == writes[n-2] {
		writes = writes[:n-1]
	}
	if diff := cmp.Diff(wantCreates, writes); diff != "" {
		t.Errorf("writes to converge (-want +got):\n%s", diff)
	}

	for i := range 5 {
		if err := f.c.sync(f.ctx, seedKey); err != nil {
			t.Fatal(err)
		}
		if w := f.writes(); len(w) != 0 {
			t.Fatalf("resync %d wrote %v, want no writes", i, w)
		}
	}

	col := f.collector()
	got := readyCondition(col)
	if got.Status != metav1.ConditionTrue || got.Reason != ReasonReconciled {
		t.Errorf("Ready = %s/%s %q, want True/%s", got.Status, got.Reason, got.Message, ReasonReconciled)
	}
	if col.Status.ObservedGeneration != 1 || col.Status.Image != "collector:1" || col.Status.CollectorIDPlaceholder != "$POD_NAME" ||
		!strings.Contains(col.Status.Scale.Selector, "app.kubernetes.io/instance=default.collector-with-ta") || col.Status.TargetAllocator == nil {
		t.Errorf("status = %+v", col.Status)
	}
	cm, err := f.kube.CoreV1().ConfigMaps("default").Get(f.ctx, "collector-with-ta-collector", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(cm, col) {
		t.Errorf("collector ConfigMap owner references = %v", cm.OwnerReferences)
	}
}

func TestHandEditIsRestored(t *testing.T) {
	f := newFixture(t, seed(t))
	f.converge()
	cm, err := f.kube.CoreV1().ConfigMaps("default").Get(f.ctx, "collector-with-ta-collector", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := cm.Data[resources.CollectorConfigKey]
	cm.Data[resources.CollectorConfigKey] = "edited by hand"
	cm.Annotations["someone-else"] = "kept"
	if _, err := f.kube.CoreV1().ConfigMaps("default").Update(f.ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.writes()
	waitFor(t, func() bool {
		c, err := f.c.scope("default").ConfigMaps.Lister().ConfigMaps("default").Get(cm.Name)
		return err == nil && c.Data[resources.CollectorConfigKey] == "edited by hand"
	})
	if diff := cmp.Diff([]string{"update configmaps/"}, f.converge()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	got, _ := f.kube.CoreV1().ConfigMaps("default").Get(f.ctx, cm.Name, metav1.GetOptions{})
	if got.Data[resources.CollectorConfigKey] != want || got.Annotations["someone-else"] != "kept" {
		t.Errorf("ConfigMap after restore: data %q, annotations %v", got.Data, got.Annotations)
	}
}

func TestInvalidConfigKeepsChildren(t *testing.T) {
	f := newFixture(t, seed(t))
	f.converge()
	f.updateCollector(func(c *v1alpha1.OpenTelemetryCollector) {
		c.Spec.Config = "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n"
	})
	writes := f.converge()
	if diff := cmp.Diff([]string{"update opentelemetrycollectors/status"}, writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	got := readyCondition(f.collector())
	_, buildErr := resources.Build(f.collector(), f.c.opts)
	if got.Status != metav1.ConditionFalse || got.Reason != ReasonInvalidConfig || got.Message != buildMessage(buildErr) || got.ObservedGeneration != 2 {
		t.Errorf("Ready = %+v, want False/%s with %q", got, ReasonInvalidConfig, buildMessage(buildErr))
	}
	if !strings.Contains(strings.ToLower(got.Message), "prometheus") {
		t.Errorf("message %q does not name the prometheus receiver", got.Message)
	}
	if !hasEvent(f.recorder, "Warning "+ReasonInvalidConfig) {
		t.Error("no InvalidConfig event")
	}
}

func TestTargetAllocatorOffDeletesItsChildren(t *testing.T) {
	f := newFixture(t, seed(t))
	f.converge()
	f.updateCollector(func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.TargetAllocator.Enabled = false })
	writes := f.converge()
	want := []string{
		"update configmaps/", // the config is no longer rewritten
		"delete configmaps/", "delete serviceaccounts/", "delete rolebindings/", "delete services/",
		"delete deployments/", "update statefulsets/", // new config hash
		"delete poddisruptionbudgets/", "update opentelemetrycollectors/status",
	}
	if diff := cmp.Diff(want, writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if ta := f.collector().Status.TargetAllocator; ta != nil {
		t.Errorf("status.targetAllocator = %+v, want nil", ta)
	}
}

func TestForeignChildIsLeftAloneAndReported(t *testing.T) {
	foreign := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "collector-with-ta-targetallocator", Namespace: "default"}, Data: map[string]string{"mine": "yes"}}
	f := newFixture(t, seed(t), foreign)
	f.converge()
	got := readyCondition(f.collector())
	if got.Status != metav1.ConditionFalse || got.Reason != ReasonChildConflict || !strings.Contains(got.Message, "ConfigMap collector-with-ta-targetallocator") {
		t.Errorf("Ready = %+v, want False/%s naming the ConfigMap", got, ReasonChildConflict)
	}
	cm, _ := f.kube.CoreV1().ConfigMaps("default").Get(f.ctx, foreign.Name, metav1.GetOptions{})
	if diff := cmp.Diff(foreign.Data, cm.Data); diff != "" {
		t.Errorf("foreign ConfigMap changed (-want +got):\n%s", diff)
	}
	if !hasEvent(f.recorder, "Warning "+ReasonChildConflict) {
		t.Error("no ChildConflict event")
	}
}

func TestDeletedCollectorCleansClusterScopedChildren(t *testing.T) {
	col := seed(t)
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	f := newFixture(t, col)
	f.converge()
	if crbs, _ := f.kube.RbacV1().ClusterRoleBindings().List(f.ctx, metav1.ListOptions{}); len(crbs.Items) != 1 || crbs.Items[0].Name != resources.ClusterTargetAllocatorName("default", "collector-with-ta")+"-monitoring" ||
		crbs.Items[0].Annotations[resources.AnnotationOwnerName] != "collector-with-ta" {
		t.Fatalf("cluster role bindings = %v", crbs.Items)
	}
	if err := f.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Delete(f.ctx, col.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := f.c.scope("default").Collectors.Lister().OpenTelemetryCollectors("default").Get(col.Name)
		return err != nil
	})
	f.writes()
	if err := f.c.sync(f.ctx, seedKey); err != nil {
		t.Fatal(err)
	}
	want := []string{"delete clusterrolebindings/"}
	if diff := cmp.Diff(want, f.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestChildEventEnqueuesOwner(t *testing.T) {
	f := newFixture(t, seed(t))
	col := f.collector()
	tests := []struct {
		name string
		obj  metav1.Object
		want string
	}{
		{name: "owned", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "x", OwnerReferences: []metav1.OwnerReference{*resources.OwnerReference(col)}}}, want: seedKey},
		{name: "cluster-scoped by annotations", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{resources.LabelManagedBy: resources.ManagedByValue, resources.LabelInstance: "whatever"},
			Annotations: map[string]string{resources.AnnotationOwnerNamespace: "obs", resources.AnnotationOwnerName: "a.b"}}}, want: "obs/a.b"},
		{name: "orphan by instance label", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "x", Labels: map[string]string{resources.LabelManagedBy: resources.ManagedByValue, resources.LabelInstance: "default.collector-with-ta"}}}, want: seedKey},
		{name: "cluster-scoped by label", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{resources.LabelManagedBy: resources.ManagedByValue, resources.LabelInstance: "obs.a.b"}}}, want: "obs/a.b"},
		{name: "foreign owner", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "x", OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "r", Controller: ptrTrue()}}}}},
		{name: "unlabelled", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for f.c.queue.Len() > 0 {
				k, _ := f.c.queue.Get()
				f.c.queue.Done(k)
				f.c.queue.Forget(k)
			}
			f.c.handleChild(tt.obj, true)
			got := ""
			if f.c.queue.Len() > 0 {
				got, _ = f.c.queue.Get()
				f.c.queue.Done(got)
			}
			if got != tt.want {
				t.Errorf("enqueued %q, want %q", got, tt.want)
			}
		})
	}
}

func ptrTrue() *bool { b := true; return &b }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}

func hasEvent(r *record.FakeRecorder, prefix string) bool {
	for {
		select {
		case e := <-r.Events:
			if strings.HasPrefix(e, prefix) {
				return true
			}
		default:
			return false
		}
	}
}

type panicking struct{}

func (panicking) reconcile(context.Context, *Controller, *v1alpha1.OpenTelemetryCollector, *resources.Children, *result) error {
	panic("boom")
}
func (panicking) cleanup(context.Context, *Controller, string, string) error { return nil }
func (panicking) role() kindRole                                             { return roleOther }

func TestPanicBecomesRetry(t *testing.T) {
	f := newFixture(t, seed(t))
	f.c.kinds = append(f.c.kinds, panicking{})
	f.c.queue.Add(seedKey)
	if !f.c.processNextWorkItem(f.ctx) {
		t.Fatal("queue shut down")
	}
	if n := f.c.queue.NumRequeues(seedKey); n != 1 {
		t.Errorf("requeues = %d, want 1 (the panic is retried with backoff)", n)
	}
}
