// Package api_test proves the OpenTelemetryCollector API end to end against a real API server: the generated
// typed clientset, informers and listers work, the status and scale subresources work, and the CRD schema alone
// (no webhook) applies defaults and rejects invalid objects with messages that say what to change.
package api_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

var restConfig *rest.Config

func TestMain(m *testing.M) {
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	restConfig = env.Config
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop control plane:", err)
	}
	os.Exit(code)
}

// seedExample decodes manifests/examples/collector-with-ta.yaml verbatim.
func seedExample(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	c, err := testenv.Example(testenv.SeedExample)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newClient(t *testing.T) versioned.Interface {
	t.Helper()
	cs, err := versioned.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestSeedExampleLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := newClient(t)
	const ns = "default"

	factory := externalversions.NewSharedInformerFactoryWithOptions(cs, 0, externalversions.WithNamespace(ns))
	informer := factory.Opentelemetry().V1alpha1().OpenTelemetryCollectors()
	lister := informer.Lister()
	seen := make(chan string, 10)
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { seen <- obj.(*v1alpha1.OpenTelemetryCollector).Name },
	}); err != nil {
		t.Fatal(err)
	}
	// Shutdown waits for the informers, which stop only when their stop channel closes: close it first.
	stop := make(chan struct{})
	factory.Start(stop)
	defer func() { close(stop); factory.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), informer.Informer().HasSynced) {
		t.Fatal("informer did not sync")
	}

	created, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, seedExample(t), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create seed example: %v", err)
	}
	// Defaults come from the schema alone.
	if created.Spec.Replicas == nil || *created.Spec.Replicas != 1 {
		t.Errorf("replicas default: got %v, want 1", created.Spec.Replicas)
	}
	ta := created.Spec.TargetAllocator
	if ta.AllocationStrategy != v1alpha1.AllocationStrategyConsistentHashing || ta.FilterStrategy != v1alpha1.FilterStrategyRelabelConfig {
		t.Errorf("TA defaults: got strategy %q filter %q", ta.AllocationStrategy, ta.FilterStrategy)
	}
	if ta.CollectorNotReadyGracePeriod == nil || ta.CollectorNotReadyGracePeriod.Duration != 30*time.Second {
		t.Errorf("grace period default: got %v", ta.CollectorNotReadyGracePeriod)
	}

	select {
	case name := <-seen:
		if name != "collector-with-ta" {
			t.Errorf("informer saw %q", name)
		}
	case <-ctx.Done():
		t.Fatal("informer never saw the collector")
	}
	cached, err := lister.OpenTelemetryCollectors(ns).Get("collector-with-ta")
	if err != nil {
		t.Fatalf("lister: %v", err)
	}
	if diff := cmp.Diff(created.Spec, cached.Spec); diff != "" {
		t.Errorf("lister spec differs from created (-created +cached):\n%s", diff)
	}

	// Status subresource.
	withStatus := cached.DeepCopy()
	withStatus.Status = v1alpha1.OpenTelemetryCollectorStatus{
		ObservedGeneration: withStatus.Generation,
		Replicas:           1,
		ReadyReplicas:      1,
		Scale:              v1alpha1.ScaleStatus{Selector: "app.kubernetes.io/instance=default.collector-with-ta"},
		Conditions: []metav1.Condition{{
			Type: "Ready", Status: metav1.ConditionTrue, Reason: "Reconciled", Message: "ok",
			LastTransitionTime: metav1.Now(), ObservedGeneration: withStatus.Generation,
		}},
	}
	updated, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).UpdateStatus(ctx, withStatus, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	if updated.Status.ReadyReplicas != 1 || len(updated.Status.Conditions) != 1 {
		t.Errorf("status not stored: %+v", updated.Status)
	}

	// Scale subresource, as kubectl scale and an HPA use it.
	scale, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).GetScale(ctx, "collector-with-ta", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Selector != "app.kubernetes.io/instance=default.collector-with-ta" {
		t.Errorf("scale: got spec %d selector %q", scale.Spec.Replicas, scale.Status.Selector)
	}
	scale.Spec.Replicas = 3
	if _, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).UpdateScale(ctx, "collector-with-ta", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update scale: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		c, err := lister.OpenTelemetryCollectors(ns).Get("collector-with-ta")
		return err == nil && c.Spec.Replicas != nil && *c.Spec.Replicas == 3, nil
	})
	if err != nil {
		t.Fatalf("scaled replicas never reached the lister: %v", err)
	}

	if err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Delete(ctx, "collector-with-ta", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
}

func TestSchemaRejectsInvalidObjects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := newClient(t)

	tests := []struct {
		name    string
		mutate  func(c *v1alpha1.OpenTelemetryCollector)
		wantMsg string
	}{
		{
			name:    "unknown mode",
			mutate:  func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Mode = "sidecar" },
			wantMsg: `spec.mode: Unsupported value: "sidecar"`,
		},
		{
			name:    "target allocator with mode deployment",
			mutate:  func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Mode = v1alpha1.ModeDeployment },
			wantMsg: "targetAllocator.enabled needs mode statefulset or daemonset",
		},
		{
			name: "daemonset with a target allocator but not per-node",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.Mode = v1alpha1.ModeDaemonSet
			},
			wantMsg: "mode daemonset with a target allocator needs targetAllocator.allocationStrategy per-node",
		},
		{
			name: "per-node without daemonset",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyPerNode
			},
			wantMsg: "targetAllocator.allocationStrategy per-node needs mode daemonset",
		},
		{
			name:    "negative replicas",
			mutate:  func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Replicas = ptr.To[int32](-1) },
			wantMsg: "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
		},
		{
			name: "unknown strategy",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.TargetAllocator.AllocationStrategy = "round-robin"
			},
			wantMsg: `spec.targetAllocator.allocationStrategy: Unsupported value: "round-robin"`,
		},
		{
			name:    "empty config",
			mutate:  func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Config = "" },
			wantMsg: "spec.config",
		},
		{
			name: "least-weighted with several TA replicas",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyLeastWeighted
				c.Spec.TargetAllocator.Replicas = ptr.To[int32](2)
			},
			wantMsg: "least-weighted depends on the order of events",
		},
		{
			name: "allow and deny namespaces together",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.TargetAllocator.PrometheusCR.AllowNamespaces = []string{"a"}
				c.Spec.TargetAllocator.PrometheusCR.DenyNamespaces = []string{"b"}
			},
			wantMsg: "allowNamespaces and denyNamespaces exclude each other",
		},
		{
			name: "collector budget with daemonset",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.Mode = v1alpha1.ModeDaemonSet
				c.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyPerNode
				c.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{}
			},
			wantMsg: "podDisruptionBudget is not for mode daemonset",
		},
		{
			name: "budget with both bounds",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				one := intstr.FromInt32(1)
				c.Spec.TargetAllocator.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: &one, MaxUnavailable: &one}
			},
			wantMsg: "set only one of minAvailable and maxUnavailable",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := seedExample(t)
			c.Name = fmt.Sprintf("invalid-%d", i)
			tc.mutate(c)
			_, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Create(ctx, c, metav1.CreateOptions{})
			if err == nil {
				t.Fatalf("created an invalid object; want an error containing %q", tc.wantMsg)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}

	// The same rules accept their valid counterparts, so the table above fails for the reason it names.
	// A Go client sends targetAllocator: {} when the TA is off (enabled is omitempty); the rules must accept it.
	off := seedExample(t)
	off.Name = "valid-ta-off"
	off.Spec.Mode = v1alpha1.ModeDeployment
	off.Spec.TargetAllocator = v1alpha1.TargetAllocatorSpec{}
	if _, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Create(ctx, off, metav1.CreateOptions{}); err != nil {
		t.Errorf("deployment without a target allocator rejected: %v", err)
	}
	valid := seedExample(t)
	valid.Name = "valid-daemonset"
	valid.Spec.Mode = v1alpha1.ModeDaemonSet
	valid.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyPerNode
	if _, err := cs.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Create(ctx, valid, metav1.CreateOptions{}); err != nil {
		t.Errorf("valid daemonset + per-node rejected: %v", err)
	}
}

// TestPlainMapSelectorRefused: a selector in the reference's v1alpha1 form (a plain label map) is refused with a
// message naming matchLabels, where the API server would otherwise prune it to {} and so select every monitor of
// the cluster. The proper forms, {} included, are accepted and kept as written.
func TestPlainMapSelectorRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	res := dyn.Resource(schema.GroupVersionResource{Group: "opentelemetry.io", Version: "v1alpha1", Resource: "opentelemetrycollectors"}).Namespace("default")
	object := func(name string, selector any) *unstructured.Unstructured {
		c := seedExample(t)
		c.Name = name
		c.APIVersion, c.Kind = "opentelemetry.io/v1alpha1", "OpenTelemetryCollector"
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		if err := unstructured.SetNestedField(u.Object, true, "spec", "targetAllocator", "prometheusCR", "enabled"); err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(u.Object, selector, "spec", "targetAllocator", "prometheusCR", "serviceMonitorSelector"); err != nil {
			t.Fatal(err)
		}
		return u
	}
	for name, sel := range map[string]any{
		"plain-map":      map[string]any{"team": "a"},
		"plain-and-ok":   map[string]any{"team": "a", "matchLabels": map[string]any{"team": "a"}},
		"lowercase-keys": map[string]any{"matchlabels": map[string]any{"team": "a"}},
	} {
		_, err := res.Create(ctx, object("selector-"+name, sel), metav1.CreateOptions{})
		if err == nil {
			t.Errorf("%s: selector %v accepted", name, sel)
			continue
		}
		// The refusal names the field. A selector holding no allowed key (the plain label map) is told that
		// matchLabels is missing: the API server reports the first alternative of the schema's anyOf, which
		// hack/crdselectors puts first for that reason.
		want := "serviceMonitorSelector"
		if name != "plain-and-ok" {
			want = "serviceMonitorSelector.matchLabels: Required value"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not say %q", name, err, want)
		}
	}
	for name, sel := range map[string]any{
		"empty":       map[string]any{},
		"labels":      map[string]any{"matchLabels": map[string]any{"team": "a"}},
		"expressions": map[string]any{"matchExpressions": []any{map[string]any{"key": "team", "operator": "Exists"}}},
		"both":        map[string]any{"matchLabels": map[string]any{"team": "a"}, "matchExpressions": []any{map[string]any{"key": "x", "operator": "Exists"}}},
	} {
		got, err := res.Create(ctx, object("selector-ok-"+name, sel), metav1.CreateOptions{})
		if err != nil {
			t.Errorf("%s: valid selector %v refused: %v", name, sel, err)
			continue
		}
		stored, _, _ := unstructured.NestedFieldNoCopy(got.Object, "spec", "targetAllocator", "prometheusCR", "serviceMonitorSelector")
		if fmt.Sprint(stored) != fmt.Sprint(sel) {
			t.Errorf("%s: stored %v, sent %v", name, stored, sel)
		}
	}
}
