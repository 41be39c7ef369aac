package operator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// TestReplicatedTargetAllocator runs the seed with three TA replicas: the API server keeps the default spread
// (matchLabelKeys included) and the PDB's eviction policy as written, so a converged collector costs no writes,
// and going back to one replica takes both away.
func TestReplicatedTargetAllocator(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "ta-replicas")
	col := seedExample(t)
	col.Namespace = ns
	col.Spec.TargetAllocator.Replicas = ptr.To[int32](3)
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	name := resources.TargetAllocatorName(seedName)
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{
		resources.LabelComponent: resources.ComponentTargetAllocator, resources.LabelInstance: ns + "." + seedName,
		resources.LabelManagedBy: "opentelemetry-operator", resources.LabelPartOf: "opentelemetry",
	}}
	spread := func(key string) corev1.TopologySpreadConstraint {
		return corev1.TopologySpreadConstraint{
			MaxSkew: 1, TopologyKey: key, WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector: selector, MatchLabelKeys: []string{"pod-template-hash"},
		}
	}
	wantSpread := []corev1.TopologySpreadConstraint{spread("kubernetes.io/hostname"), spread("topology.kubernetes.io/zone")}
	check := func(replicas int32, spread []corev1.TopologySpreadConstraint, policy *policyv1.UnhealthyPodEvictionPolicyType) func() error {
		return func() error {
			dep, err := admin.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if *dep.Spec.Replicas != replicas {
				return fmt.Errorf("Deployment replicas %d, want %d", *dep.Spec.Replicas, replicas)
			}
			if diff := cmp.Diff(spread, dep.Spec.Template.Spec.TopologySpreadConstraints); diff != "" {
				return fmt.Errorf("topologySpreadConstraints as stored (-want +got):\n%s", diff)
			}
			// The API default strategy, which with 25% unavailable rounded down removes no ready TA pod of three
			// before its successor is ready.
			if s := dep.Spec.Strategy; s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
				s.RollingUpdate.MaxUnavailable.String() != "25%" || s.RollingUpdate.MaxSurge.String() != "25%" {
				return fmt.Errorf("strategy %+v", s)
			}
			pdb, err := admin.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
				return fmt.Errorf("PDB bounds min %v max %v", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
			}
			if diff := cmp.Diff(policy, pdb.Spec.UnhealthyPodEvictionPolicy); diff != "" {
				return fmt.Errorf("PDB unhealthyPodEvictionPolicy (-want +got):\n%s", diff)
			}
			return nil
		}
	}
	eventually(t, "three TA replicas, spread, with a budget that evicts unready pods", check(3, wantSpread, ptr.To(policyv1.AlwaysAllow)))
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	quiet(t)

	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.TargetAllocator.Replicas = ptr.To[int32](1) })
	eventually(t, "one TA replica, nothing to spread, the API's default eviction policy", check(1, nil, nil))
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	quiet(t)
}

// quiet waits for the operator's writes to stop for a second (the status of a just-converged collector may be
// written twice), then fails when it writes anything during 4 s more: a child the API server stores otherwise
// than the operator wrote it would be rewritten on every event.
func quiet(t *testing.T) {
	t.Helper()
	eventually(t, "the operator stops writing", func() error {
		before := operatorWrites.Load()
		time.Sleep(time.Second)
		if n := operatorWrites.Load() - before; n != 0 {
			return fmt.Errorf("%d writes in the last second", n)
		}
		return nil
	})
	before := operatorWrites.Load()
	time.Sleep(4 * time.Second)
	if n := operatorWrites.Load() - before; n != 0 {
		t.Errorf("operator made %d writes during 4 s of resyncs of a converged collector, want 0", n)
	}
}
