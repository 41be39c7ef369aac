package operator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// The admission plugin is really on: a user who may create ConfigMaps but not update collectors' finalizers
// cannot give a ConfigMap a blocking owner reference to a collector (so the operator's success elsewhere in this
// suite is its ClusterRole's doing).
func TestOwnerReferencesPermissionEnforcementIsOn(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "ownerrefs")
	col := seedExample(t)
	col.Namespace = ns
	created, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const user = "tenant"
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "get"}},
			{APIGroups: []string{"opentelemetry.io"}, Resources: []string{"opentelemetrycollectors"}, Verbs: []string{"get", "update"}}}}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "cm"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(adminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	tenant := kubernetes.NewForConfigOrDie(cfg)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "blocking", Namespace: ns,
		OwnerReferences: []metav1.OwnerReference{*resources.OwnerReference(created)}}}
	eventually(t, "the tenant's blocking owner reference is refused", func() error {
		_, err := tenant.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "finalizers") {
			return nil
		}
		if err == nil {
			_ = admin.CoreV1().ConfigMaps(ns).Delete(ctx, cm.Name, metav1.DeleteOptions{})
		}
		return fmt.Errorf("create: %v", err)
	})
	// The operator, with the shipped ClusterRole, creates every child with blockOwnerDeletion.
	eventually(t, "every child exists", func() error { return allExist(seedChildren(ctx, ns)) })
	sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertControlledBy(t, sts, created)
}

// Removing a child's labels (it drops out of the operator's label-filtered cache) and orphaning it must not end
// its management: with resync off, only the event handlers can notice.
func TestEditedAwayOwnershipIsRestored(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "reclaim")
	col := seedExample(t)
	col.Namespace = ns
	created, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	name := resources.CollectorName(seedName)

	cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Labels = nil
	if _, err := admin.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "labels restored", func() error {
		got, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Labels[resources.LabelManagedBy] != resources.ManagedByValue {
			return fmt.Errorf("labels %v", got.Labels)
		}
		return nil
	})

	// What `kubectl delete --cascade=orphan` leaves: no owner reference, our labels.
	eventually(t, "orphan the StatefulSet", func() error {
		sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		sts.OwnerReferences = nil
		_, err = admin.AppsV1().StatefulSets(ns).Update(ctx, sts, metav1.UpdateOptions{})
		return err
	})
	eventually(t, "orphan adopted", func() error {
		sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !metav1.IsControlledBy(sts, created) {
			return fmt.Errorf("owners %v", sts.OwnerReferences)
		}
		return nil
	})
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
}

// Available follows the pods, as `kubectl wait --for=condition=Available` reads it: the condition True for the
// object's current generation. envtest has no kubelet, so the test plays the StatefulSet and Deployment
// controllers by writing their status.
func TestAvailableFollowsThePods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "available")
	col := seedExample(t)
	col.Namespace = ns
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	waitAvailable(t, ctx, ns, metav1.ConditionFalse, controller.ReasonCollectorNotReady)

	eventually(t, "collector pods ready", func() error {
		sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
		if err != nil {
			return err
		}
		n := *sts.Spec.Replicas
		sts.Status = appsv1.StatefulSetStatus{ObservedGeneration: sts.Generation, Replicas: n, ReadyReplicas: n, UpdatedReplicas: n, AvailableReplicas: n, CurrentReplicas: n}
		_, err = admin.AppsV1().StatefulSets(ns).UpdateStatus(ctx, sts, metav1.UpdateOptions{})
		return err
	})
	waitAvailable(t, ctx, ns, metav1.ConditionFalse, controller.ReasonTargetAllocatorNotReady)
	eventually(t, "target allocator available", func() error {
		d, err := admin.AppsV1().Deployments(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
		if err != nil {
			return err
		}
		n := *d.Spec.Replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, ReadyReplicas: n, UpdatedReplicas: n, AvailableReplicas: n}
		_, err = admin.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	})
	waitAvailable(t, ctx, ns, metav1.ConditionTrue, controller.ReasonAvailable)
}

// waitAvailable waits as kubectl wait does: the condition's status, for the collector's current generation.
func waitAvailable(t *testing.T, ctx context.Context, ns string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	eventually(t, fmt.Sprintf("Available=%s/%s", status, reason), func() error {
		c := getCollector(t, ctx, ns, seedName)
		cond := meta.FindStatusCondition(c.Status.Conditions, controller.ConditionAvailable)
		if cond == nil {
			return fmt.Errorf("no Available condition")
		}
		if cond.ObservedGeneration != c.Generation || cond.Status != status || cond.Reason != reason {
			return fmt.Errorf("generation %d, Available %s/%s (observed %d): %s", c.Generation, cond.Status, cond.Reason, cond.ObservedGeneration, cond.Message)
		}
		return nil
	})
}
