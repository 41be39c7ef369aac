package resources

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/yamlbound"
)

var readVerbs = []string{"get", "list", "watch"}

// discoveryRules are what Kubernetes service discovery reads (every role but node), in whichever scope it runs.
func discoveryRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "endpoints"}, Verbs: readVerbs},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: readVerbs},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: readVerbs},
	}
}

// monitoringRule lets the TA read the Prometheus Operator resources it turns into jobs.
func monitoringRule() rbacv1.PolicyRule {
	return rbacv1.PolicyRule{
		APIGroups: []string{"monitoring.coreos.com"},
		Resources: []string{"servicemonitors", "podmonitors", "probes", "scrapeconfigs"},
		Verbs:     readVerbs,
	}
}

// referencedObjectsRule lets the TA read the Secrets and ConfigMaps that monitors reference (basic auth, bearer
// tokens, TLS material). It comes with monitoringRule: without Prometheus CRs no job refers to them.
func referencedObjectsRule() rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: readVerbs}
}

// TargetAllocatorRoleRules are the TA's rights in its own namespace: collector pods and discovery of
// same-namespace targets, its config, and Events on its collector (it reports what it sees there, never in status).
func TargetAllocatorRoleRules(col *v1alpha1.OpenTelemetryCollector) []rbacv1.PolicyRule {
	rules := discoveryRules()
	rules = append(rules,
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: readVerbs},
		rbacv1.PolicyRule{APIGroups: []string{v1alpha1.GroupName}, Resources: []string{"opentelemetrycollectors"}, Verbs: []string{"get"}},
		rbacv1.PolicyRule{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	)
	if col.Spec.TargetAllocator.PrometheusCR.Enabled {
		// configmaps are already readable above; secrets only come with monitors.
		rules = append(rules, monitoringRule(),
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: readVerbs})
	}
	return rules
}

// TargetAllocatorClusterRoleRules are the TA's rights across namespaces, granted only when its jobs need them.
// With Prometheus CRs the namespace selectors may pick any namespace, so the monitors and the Secrets and
// ConfigMaps they reference are read cluster-wide (namespaces too, to evaluate the selectors).
func TargetAllocatorClusterRoleRules(col *v1alpha1.OpenTelemetryCollector) []rbacv1.PolicyRule {
	rules := discoveryRules()
	rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: readVerbs})
	if col.Spec.TargetAllocator.PrometheusCR.Enabled {
		// A Warning Event on an invalid monitor, in the monitor's namespace, is how its author learns why it
		// produces no jobs (kubectl describe). Only create: the TA reports each problem once, so it never
		// needs to patch (aggregate) or read Events there.
		rules = append(rules, monitoringRule(), referencedObjectsRule(),
			rbacv1.PolicyRule{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create"}})
	}
	return rules
}

func addTargetAllocatorRBAC(c *Children, col *v1alpha1.OpenTelemetryCollector, needsCluster bool) {
	name := TargetAllocatorName(col.Name)
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: TargetAllocatorServiceAccountName(col), Namespace: col.Namespace}
	c.Roles = append(c.Roles, &rbacv1.Role{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "Role"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, name),
		Rules:      TargetAllocatorRoleRules(col),
	})
	c.RoleBindings = append(c.RoleBindings, &rbacv1.RoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "RoleBinding"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{subject},
	})
	if !needsCluster {
		return
	}
	clusterName := ClusterTargetAllocatorName(col.Namespace, col.Name)
	// No owner reference: a cluster-scoped object cannot be owned by a namespaced one (the garbage collector would
	// treat the reference as dangling). The controller deletes these by their instance label instead.
	meta := metav1.ObjectMeta{Name: clusterName, Labels: Labels(col, ComponentTargetAllocator, clusterName)}
	c.ClusterRoles = append(c.ClusterRoles, &rbacv1.ClusterRole{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRole"),
		ObjectMeta: meta,
		Rules:      TargetAllocatorClusterRoleRules(col),
	})
	c.ClusterRoleBindings = append(c.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		ObjectMeta: *meta.DeepCopy(),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterName},
		Subjects:   []rbacv1.Subject{subject},
	})
}

// needsClusterAccess tells whether the TA reads anything outside its namespace: Prometheus CRs (selected by
// namespace selectors, hence namespaces too), or Kubernetes service discovery that is not limited to its own
// namespace, that lists nodes, or that attaches node or namespace metadata.
func needsClusterAccess(col *v1alpha1.OpenTelemetryCollector) (bool, error) {
	if col.Spec.TargetAllocator.PrometheusCR.Enabled {
		return true, nil
	}
	var doc struct {
		Receivers map[string]struct {
			Config struct {
				ScrapeConfigs []struct {
					KubernetesSDConfigs []struct {
						Role string `json:"role"`
						// attach_metadata makes Prometheus watch Nodes or Namespaces, which are cluster-scoped.
						AttachMetadata struct {
							Node      bool `json:"node"`
							Namespace bool `json:"namespace"`
						} `json:"attach_metadata"`
						Namespaces *struct {
							Names        []string `json:"names"`
							OwnNamespace bool     `json:"own_namespace"`
						} `json:"namespaces"`
					} `json:"kubernetes_sd_configs"`
				} `json:"scrape_configs"`
			} `json:"config"`
		} `json:"receivers"`
	}
	if err := yamlbound.Unmarshal([]byte(col.Spec.Config), &doc); err != nil {
		return false, fmt.Errorf("the collector config is not valid YAML: %w", err)
	}
	for _, r := range doc.Receivers {
		for _, sc := range r.Config.ScrapeConfigs {
			for _, sd := range sc.KubernetesSDConfigs {
				if sd.Role == "node" || sd.Namespaces == nil || sd.AttachMetadata.Node || sd.AttachMetadata.Namespace {
					return true, nil
				}
				if len(sd.Namespaces.Names) == 0 && !sd.Namespaces.OwnNamespace {
					return true, nil
				}
				if slices.ContainsFunc(sd.Namespaces.Names, func(n string) bool { return n != col.Namespace }) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
