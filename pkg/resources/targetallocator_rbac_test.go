package resources

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// grants reports whether rules allow verb on group/resource.
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}

// TestTargetAllocatorRBACPrometheusCR: monitors and Secrets are readable only with Prometheus CRs; Events on the
// collector can always be written, in the TA's namespace only.
func TestTargetAllocatorRBACPrometheusCR(t *testing.T) {
	monitoring := []string{"servicemonitors", "podmonitors", "probes", "scrapeconfigs"}
	for _, enabled := range []bool{false, true} {
		col := seedCollector(t)
		col.Spec.TargetAllocator.PrometheusCR.Enabled = enabled
		role, cluster := TargetAllocatorRoleRules(col), TargetAllocatorClusterRoleRules(col)
		for _, verb := range readVerbs {
			for _, res := range monitoring {
				if got := grants(role, "monitoring.coreos.com", res, verb) && grants(cluster, "monitoring.coreos.com", res, verb); got != enabled {
					t.Errorf("prometheusCR=%v: %s %s granted=%v", enabled, verb, res, got)
				}
			}
			if got := grants(role, "", "secrets", verb) && grants(cluster, "", "secrets", verb); got != enabled {
				t.Errorf("prometheusCR=%v: %s secrets granted=%v", enabled, verb, got)
			}
			if got := grants(cluster, "", "configmaps", verb); got != enabled {
				t.Errorf("prometheusCR=%v: cluster-wide %s configmaps granted=%v", enabled, verb, got)
			}
			if !grants(cluster, "", "namespaces", verb) {
				t.Errorf("prometheusCR=%v: cluster-wide %s namespaces missing", enabled, verb)
			}
		}
		for _, verb := range []string{"create", "patch"} {
			if !grants(role, "", "events", verb) {
				t.Errorf("prometheusCR=%v: events %s missing from the Role", enabled, verb)
			}
		}
		// Events on monitors in other namespaces: create only, and only with Prometheus CRs.
		if got := grants(cluster, "", "events", "create"); got != enabled {
			t.Errorf("prometheusCR=%v: cluster-wide events create granted=%v", enabled, got)
		}
		for _, verb := range []string{"patch", "update", "get", "list", "delete"} {
			if grants(cluster, "", "events", verb) {
				t.Errorf("prometheusCR=%v: cluster-wide events %s must not be granted", enabled, verb)
			}
		}
		for _, rules := range [][]rbacv1.PolicyRule{role, cluster} {
			for _, r := range rules {
				if slices.ContainsFunc(r.Verbs, func(v string) bool { return !slices.Contains(readVerbs, v) }) && !slices.Contains(r.Resources, "events") {
					t.Errorf("prometheusCR=%v: only events may be written, got %+v", enabled, r)
				}
			}
		}
	}
}

func TestTargetAllocatorCollectorNameEnv(t *testing.T) {
	col := seedCollector(t)
	c, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Deployments {
		if d.Name != TargetAllocatorName(col.Name) {
			continue
		}
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if e.Name == TargetAllocatorCollectorNameEnv && e.Value == col.Name {
				return
			}
		}
		t.Fatalf("TA container has no %s=%s: %+v", TargetAllocatorCollectorNameEnv, col.Name, d.Spec.Template.Spec.Containers[0].Env)
	}
	t.Fatal("no TA Deployment")
}
