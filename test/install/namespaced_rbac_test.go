package install_test

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
)

// The namespaced overlay's RBAC, applied for real, lets the operator's ServiceAccount do what a namespaced
// operator does (watch collectors and children in team-a, cache ClusterRoles and ClusterRoleBindings, bind the Target
// Allocator's fixed ClusterRole in team-a) and nothing cluster-wide beyond that.
func TestNamespacedOverlayRBAC(t *testing.T) {
	ctx := context.Background()
	objs := mustRender(t, "kustomize", "overlays/namespaced")
	applyAll(t, objs, "team-a")
	for _, o := range objs {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			if err := apply(ctx, o, false); err != nil {
				t.Fatalf("apply %s: %v", key(o), err)
			}
		}
	}
	cfg := rest.CopyConfig(testEnv.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:otelcol-operator-system:otelcol-operator"}
	kube := kubernetes.NewForConfigOrDie(cfg)
	otel := versioned.NewForConfigOrDie(cfg)
	list := metav1.ListOptions{Limit: 1}

	allowed := map[string]func() error{
		"list collectors in team-a": func() error {
			_, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("team-a").List(ctx, list)
			return err
		},
		"list Secrets in team-a": func() error { _, err := kube.CoreV1().Secrets("team-a").List(ctx, list); return err },
		"list ClusterRoleBindings": func() error {
			_, err := kube.RbacV1().ClusterRoleBindings().List(ctx, list)
			return err
		},
		"list ClusterRoles": func() error { _, err := kube.RbacV1().ClusterRoles().List(ctx, list); return err },
		"bind the TA ClusterRole in team-a": func() error {
			rb := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "probe-ta", Namespace: "team-a"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "otelcol-operator-targetallocator"},
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "probe-ta", Namespace: "team-a"}},
			}
			_, err := kube.RbacV1().RoleBindings("team-a").Create(ctx, rb, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		},
		"take the Lease in its namespace": func() error {
			_, err := kube.CoordinationV1().Leases("otelcol-operator-system").List(ctx, list)
			if apierrors.IsForbidden(err) {
				// The Role grants get/create/update, not list: a Get that finds nothing proves the same.
				_, err = kube.CoordinationV1().Leases("otelcol-operator-system").Get(ctx, "otelcol-operator", metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					err = nil
				}
			}
			return err
		},
	}
	for name, call := range allowed {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	forbidden := map[string]func() error{
		"list collectors cluster-wide": func() error {
			_, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("").List(ctx, list)
			return err
		},
		"list Secrets in default": func() error { _, err := kube.CoreV1().Secrets("default").List(ctx, list); return err },
		"create a ClusterRoleBinding": func() error {
			crb := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "probe-ta"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "otelcol-operator-targetallocator-discovery"},
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "probe-ta", Namespace: "team-a"}},
			}
			_, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		},
	}
	for name, call := range forbidden {
		if err := call(); !apierrors.IsForbidden(err) {
			t.Errorf("%s: got %v, want Forbidden", name, err)
		}
	}
}
