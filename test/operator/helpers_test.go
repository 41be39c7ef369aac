package operator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const timeout = 30 * time.Second

// seedExample decodes manifests/examples/collector-with-ta.yaml verbatim.
func seedExample(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	c, err := testenv.Example(testenv.SeedExample)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newNamespace(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

// eventually retries check until it returns nil or the timeout passes, then fails with its last error.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %s: %v", what, timeout, err)
}

func getCollector(t *testing.T, ctx context.Context, ns, name string) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	c, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// updateCollector applies mutate to a fresh copy, retrying on conflicts (the operator writes the status).
func updateCollector(t *testing.T, ctx context.Context, ns, name string, mutate func(*v1alpha1.OpenTelemetryCollector)) {
	t.Helper()
	eventually(t, "update collector", func() error {
		c := getCollector(t, ctx, ns, name)
		mutate(c)
		_, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Update(ctx, c, metav1.UpdateOptions{})
		return err
	})
}

// waitReady waits for the Ready condition to have status and reason for the collector's current generation.
func waitReady(t *testing.T, ctx context.Context, ns, name string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	var got metav1.Condition
	eventually(t, fmt.Sprintf("Ready=%s/%s", status, reason), func() error {
		c := getCollector(t, ctx, ns, name)
		cond := meta.FindStatusCondition(c.Status.Conditions, controller.ConditionReconciled)
		if cond == nil {
			return fmt.Errorf("no Ready condition")
		}
		got = *cond
		if c.Status.ObservedGeneration != c.Generation || cond.Status != status || cond.Reason != reason {
			return fmt.Errorf("generation %d observed %d, Ready %s/%s: %s", c.Generation, c.Status.ObservedGeneration, cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	return got
}

// waitEvent waits for an Event on the collector with the reason.
func waitEvent(t *testing.T, ctx context.Context, ns, name, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	eventually(t, "event "+reason, func() error {
		list, err := admin.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return err
		}
		var reasons []string
		for _, e := range list.Items {
			if e.Reason == reason && e.InvolvedObject.Kind == "OpenTelemetryCollector" {
				found = e
				return nil
			}
			reasons = append(reasons, e.Reason)
		}
		return fmt.Errorf("events so far: %s", strings.Join(reasons, ", "))
	})
	return found
}

// assertControlledBy checks the controller owner reference the garbage collector needs.
func assertControlledBy(t *testing.T, obj metav1.Object, col *v1alpha1.OpenTelemetryCollector) {
	t.Helper()
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.UID != col.UID || ref.Kind != "OpenTelemetryCollector" || ref.APIVersion != "opentelemetry.io/v1alpha1" ||
		ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("%s: controller reference %+v, want one to OpenTelemetryCollector %s (uid %s)", obj.GetName(), ref, col.Name, col.UID)
	}
}

func yamlEqual(a, b string) (bool, string) {
	var av, bv any
	if err := yaml.Unmarshal([]byte(a), &av); err != nil {
		return false, err.Error()
	}
	if err := yaml.Unmarshal([]byte(b), &bv); err != nil {
		return false, err.Error()
	}
	ab, _ := yaml.Marshal(av)
	bb, _ := yaml.Marshal(bv)
	return string(ab) == string(bb), fmt.Sprintf("got:\n%s\nwant:\n%s", ab, bb)
}
