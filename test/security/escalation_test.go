package security_test

import (
	"context"
	"fmt"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// everywhereConfig discovers pods of every namespace, one route to cluster-wide read.
const everywhereConfig = `receivers:
  prometheus:
    config:
      scrape_configs:
      - job_name: everywhere
        kubernetes_sd_configs: [{role: pod}]
exporters:
  debug:
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [debug]
`

// attackCollector is what a tenant writes to get rights through the operator: monitors of every namespace (and
// the Secrets they reference), service discovery of every namespace, optionally the namespace's default account.
func attackCollector(name, serviceAccount string) *v1alpha1.OpenTelemetryCollector {
	return &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:   v1alpha1.ModeStatefulSet,
			Config: everywhereConfig,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{
				Enabled:        true,
				Image:          "attacker.example/any-image:latest",
				ServiceAccount: serviceAccount,
				PrometheusCR:   v1alpha1.PrometheusCRSpec{Enabled: true, ServiceMonitorSelector: &metav1.LabelSelector{}},
			},
		},
	}
}

// can asks the API server whether user may do verb on group/resource in namespace ns ("" = cluster-wide).
func can(t *testing.T, user, verb, group, resource, ns string) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user,
		// Service accounts are also in these groups; a grant to them must count.
		Groups:             groupsOf(user),
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource},
	}}
	got, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Status.Allowed
}

func groupsOf(user string) []string {
	var ns string
	if _, err := fmt.Sscanf(user, "system:serviceaccount:%s", &ns); err == nil {
		for i := range ns {
			if ns[i] == ':' {
				return []string{"system:serviceaccounts", "system:serviceaccounts:" + ns[:i], "system:authenticated"}
			}
		}
	}
	return []string{"system:authenticated"}
}

func serviceAccountUser(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

func condition(t *testing.T, ns, name, typ string) (*metav1.Condition, error) {
	t.Helper()
	col, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	c := meta.FindStatusCondition(col.Status.Conditions, typ)
	if c == nil {
		return nil, fmt.Errorf("no %s condition yet: %+v", typ, col.Status.Conditions)
	}
	return c, nil
}

// TestTenantGainsNothingOutsideTheirNamespace: alice, admin of tenant-a, tries every route; afterwards no account
// she controls may list Secrets or Pods in tenant-b, while her target allocator can still do its work in tenant-a.
func TestTenantGainsNothingOutsideTheirNamespace(t *testing.T) {
	ctx := context.Background()
	aliceKube, aliceOtel := as(tenant)

	// Route 1: a target allocator with Prometheus CRs and discovery of every namespace, on an account the operator
	// creates. Route 2: the same on the namespace's default account, which every pod of the namespace uses.
	for _, col := range []*v1alpha1.OpenTelemetryCollector{attackCollector("own", ""), attackCollector("borrowed", "default")} {
		if _, err := aliceOtel.OpentelemetryV1alpha1().OpenTelemetryCollectors(tenantNS).Create(ctx, col, metav1.CreateOptions{}); err != nil {
			t.Fatalf("alice creates collector %s: %v", col.Name, err)
		}
	}
	taAccount := resources.TargetAllocatorName("own")
	eventually(t, "the operator creates the TA account and its bindings", func() error {
		if _, err := admin.CoreV1().ServiceAccounts(tenantNS).Get(ctx, taAccount, metav1.GetOptions{}); err != nil {
			return err
		}
		for _, name := range []string{taAccount, taAccount + "-prometheus-cr"} {
			if _, err := admin.RbacV1().RoleBindings(tenantNS).Get(ctx, name, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	eventually(t, "own: TargetAllocatorAccess says cluster access is the admin's decision", func() error {
		c, err := condition(t, tenantNS, "own", controller.ConditionTargetAllocatorAccess)
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionFalse || c.Reason != resources.AccessReasonClusterAccessNotAllowed {
			return fmt.Errorf("condition %+v", c)
		}
		return nil
	})
	eventually(t, "borrowed: TargetAllocatorAccess says the account is not the operator's", func() error {
		c, err := condition(t, tenantNS, "borrowed", controller.ConditionTargetAllocatorAccess)
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionFalse || c.Reason != resources.AccessReasonServiceAccountNotManaged {
			return fmt.Errorf("condition %+v", c)
		}
		return nil
	})

	// Nothing the operator made refers to an account it did not create, nor reaches the cluster.
	rbs, err := admin.RbacV1().RoleBindings(tenantNS).List(ctx, metav1.ListOptions{LabelSelector: controller.ManagedBySelector})
	if err != nil {
		t.Fatal(err)
	}
	for _, rb := range rbs.Items {
		for _, s := range rb.Subjects {
			if s.Name == "default" {
				t.Errorf("RoleBinding %s binds the default account", rb.Name)
			}
		}
	}
	crbs, err := admin.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{LabelSelector: controller.ManagedBySelector})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		if b.Labels[resources.LabelInstance] == tenantNS+".own" || b.Labels[resources.LabelInstance] == tenantNS+".borrowed" {
			t.Errorf("ClusterRoleBinding %s made for tenant-a without the admin allowing it", b.Name)
		}
	}

	// Route 3: alice binds the cluster-wide ClusterRoles herself, or grants in tenant-b.
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-discovery"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: resources.TargetAllocatorDiscoveryClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: tenantNS}},
	}
	if _, err := aliceKube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice creates a ClusterRoleBinding to %s: err = %v, want Forbidden", crb.RoleRef.Name, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-secrets", Namespace: victimNS},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: resources.TargetAllocatorPrometheusCRClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: tenantNS}},
	}
	if _, err := aliceKube.RbacV1().RoleBindings(victimNS).Create(ctx, rb, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("alice creates a RoleBinding in %s: err = %v, want Forbidden", victimNS, err)
	}

	// The accounts alice controls, and alice herself, may not read tenant-b or the cluster's Secrets and Pods.
	accounts := []string{tenant, serviceAccountUser(tenantNS, taAccount), serviceAccountUser(tenantNS, "default")}
	for _, user := range accounts {
		for _, res := range []string{"secrets", "pods"} {
			for _, ns := range []string{victimNS, ""} {
				if can(t, user, "list", "", res, ns) {
					t.Errorf("%s may list %s in %q", user, res, ns)
				}
			}
		}
		if can(t, user, "get", "", "secrets", victimNS) {
			t.Errorf("%s may get Secrets in %s", user, victimNS)
		}
	}

	// The target allocator still works in tenant-a: collector pods, discovery, its config, monitors and the
	// Secrets they reference, Events on its collector.
	ta := serviceAccountUser(tenantNS, taAccount)
	for _, a := range []struct{ verb, group, resource string }{
		{"list", "", "pods"}, {"watch", "", "pods"}, {"list", "", "endpoints"}, {"list", "discovery.k8s.io", "endpointslices"},
		{"get", "", "configmaps"}, {"list", "monitoring.coreos.com", "servicemonitors"}, {"list", "monitoring.coreos.com", "podmonitors"},
		{"list", "", "secrets"}, {"create", "", "events"}, {"get", v1alpha1.GroupName, "opentelemetrycollectors"},
	} {
		if !can(t, ta, a.verb, a.group, a.resource, tenantNS) {
			t.Errorf("the target allocator may not %s %s.%s in its namespace", a.verb, a.resource, a.group)
		}
	}
}

// TestTargetAllocatorHoldsNoMoreThanEdit: every rule of the ClusterRoles the operator binds in a namespace is held
// by a user with the built-in edit role there, so a collector author gains no right in their own namespace.
func TestTargetAllocatorHoldsNoMoreThanEdit(t *testing.T) {
	rules := resources.TargetAllocatorClusterRoleRules()
	for _, role := range []string{resources.TargetAllocatorClusterRole, resources.TargetAllocatorPrometheusCRClusterRole} {
		for _, r := range rules[role] {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						if !can(t, editor, v, g, res, tenantNS) {
							t.Errorf("%s grants %s %s.%s, which edit does not hold", role, v, res, g)
						}
					}
				}
			}
		}
	}
	// And edit may create collectors (shipped aggregation), which is what makes it the bar.
	if !can(t, editor, "create", v1alpha1.GroupName, "opentelemetrycollectors", tenantNS) {
		t.Error("edit may not create OpenTelemetryCollectors: aggregated-roles.yaml missing?")
	}
}

// TestClusterWideWhenAllowedHasNoSecrets: with the operator flag on, a collector's TA reads discovery objects and
// monitors cluster-wide (the admin's decision), but still no Secret outside its namespace.
func TestClusterWideWhenAllowedHasNoSecrets(t *testing.T) {
	ctx := context.Background()
	_, carolOtel := as("carol")
	if _, err := carolOtel.OpentelemetryV1alpha1().OpenTelemetryCollectors(allowedNS).Create(ctx, attackCollector("wide", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ta := serviceAccountUser(allowedNS, resources.TargetAllocatorName("wide"))
	eventually(t, "cluster-wide discovery is bound", func() error {
		if !can(t, ta, "list", "", "pods", victimNS) || !can(t, ta, "list", "monitoring.coreos.com", "servicemonitors", victimNS) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	for _, ns := range []string{victimNS, ""} {
		if can(t, ta, "list", "", "secrets", ns) || can(t, ta, "get", "", "secrets", ns) {
			t.Errorf("the cluster-wide TA may read Secrets in %q", ns)
		}
	}
	if !can(t, ta, "list", "", "secrets", allowedNS) {
		t.Error("the TA may not read Secrets of its own namespace")
	}
	// The bindings are written before the status, so the condition may follow them by one sync.
	eventually(t, "TargetAllocatorAccess is True", func() error {
		c, err := condition(t, allowedNS, "wide", controller.ConditionTargetAllocatorAccess)
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionTrue || c.Reason != resources.AccessReasonGranted {
			return fmt.Errorf("condition %+v, want True/%s", c, resources.AccessReasonGranted)
		}
		return nil
	})
}
