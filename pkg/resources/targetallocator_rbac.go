package resources

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/yamlbound"
)

// The target allocator's rights come only from fixed ClusterRoles that the cluster admin installs from
// manifests/operator/targetallocator-rbac.yaml. The operator creates bindings to them and nothing else: it holds
// RBAC `bind` on exactly these names, so it needs none of their rights itself (no cluster-wide Secret read), and a
// collector's author cannot make it grant anything beyond them.
//
// A CR's author chooses the target allocator's image, so whatever the target allocator may do, the author may do
// through it. Therefore:
//   - in the CR's own namespace it gets only rights that Kubernetes' built-in edit role holds there (an author who
//     may create collectors holds them already; the shipped aggregated roles give edit the right to create
//     collectors);
//   - outside its namespace it gets nothing unless the operator runs with cluster-wide target allocators allowed,
//     and even then no Secret anywhere else;
//   - nothing is bound to a ServiceAccount the operator did not create (binding the CR's chosen account would hand
//     the rights to every other pod that runs as it).
const (
	// TargetAllocatorClusterRole is bound in the collector's namespace: collector pods and same-namespace service
	// discovery, its config, the collector it reports on, and Events there.
	TargetAllocatorClusterRole = "otelcol-operator-targetallocator"
	// TargetAllocatorPrometheusCRClusterRole is bound in the collector's namespace when prometheusCR is enabled:
	// monitors and the Secrets they reference, in that namespace only.
	TargetAllocatorPrometheusCRClusterRole = "otelcol-operator-targetallocator-prometheus-cr"
	// TargetAllocatorDiscoveryClusterRole is bound cluster-wide, only when allowed, for service discovery beyond
	// the collector's namespace (and nodes and namespaces).
	TargetAllocatorDiscoveryClusterRole = "otelcol-operator-targetallocator-discovery"
	// TargetAllocatorMonitoringClusterRole is bound cluster-wide, only when allowed, for monitors of every
	// namespace (and namespaces, for namespace selectors). It holds no Secret read.
	TargetAllocatorMonitoringClusterRole = "otelcol-operator-targetallocator-monitoring"
)

// TargetAllocatorClusterRoles are the names of the fixed ClusterRoles the operator may bind, in the order above.
func TargetAllocatorClusterRoles() []string {
	return []string{TargetAllocatorClusterRole, TargetAllocatorPrometheusCRClusterRole,
		TargetAllocatorDiscoveryClusterRole, TargetAllocatorMonitoringClusterRole}
}

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

// TargetAllocatorClusterRoleRules returns the rules each fixed ClusterRole must hold, keyed by name. The shipped
// manifest is checked against it, so the code and what admins install cannot drift apart.
func TargetAllocatorClusterRoleRules() map[string][]rbacv1.PolicyRule {
	base := append(discoveryRules(),
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: readVerbs},
		rbacv1.PolicyRule{APIGroups: []string{v1alpha1.GroupName}, Resources: []string{"opentelemetrycollectors"}, Verbs: []string{"get"}},
		// The TA reports what it finds in monitors as Events on its collector (it never writes status).
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	)
	return map[string][]rbacv1.PolicyRule{
		TargetAllocatorClusterRole: base,
		TargetAllocatorPrometheusCRClusterRole: {
			monitoringRule(),
			// Basic auth, bearer tokens and TLS material that monitors reference (configmaps come with the base).
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: readVerbs},
		},
		TargetAllocatorDiscoveryClusterRole: append(discoveryRules(),
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: readVerbs}),
		TargetAllocatorMonitoringClusterRole: {
			monitoringRule(),
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: readVerbs},
			// A Warning Event on an invalid monitor, in the monitor's namespace, tells its author why it gives no
			// jobs. Only create: the TA reports each problem once.
			{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create"}},
		},
	}
}

// TargetAllocatorAccess tells what the target allocator was granted and, when less than its config asks for,
// what a cluster or namespace admin must do. The controller reports it as a condition.
type TargetAllocatorAccess struct {
	// Complete is true when the target allocator holds every right its config needs.
	Complete bool
	// Reason is a CamelCase reason for the condition.
	Reason string
	// Message says what was granted and, when incomplete, what is missing and who can fix it.
	Message string
}

// Reasons of TargetAllocatorAccess.
const (
	AccessReasonGranted                  = "Granted"
	AccessReasonClusterAccessNotAllowed  = "ClusterAccessNotAllowed"
	AccessReasonServiceAccountNotManaged = "ServiceAccountNotManaged"
)

// clusterNeeds lists why a target allocator would read outside its namespace.
type clusterNeeds struct {
	// discoveryJobs are the scrape jobs whose Kubernetes service discovery is not limited to the namespace.
	discoveryJobs []string
	// monitors is set when prometheusCR may select monitors of other namespaces.
	monitors bool
}

func (n clusterNeeds) any() bool { return len(n.discoveryJobs) > 0 || n.monitors }

func (n clusterNeeds) String() string {
	var parts []string
	if len(n.discoveryJobs) > 0 {
		parts = append(parts, fmt.Sprintf("Kubernetes service discovery of job(s) %s is not limited to the collector's namespace (or lists nodes or attaches node or namespace metadata)",
			strings.Join(n.discoveryJobs, ", ")))
	}
	if n.monitors {
		parts = append(parts, "prometheusCR may select monitors of other namespaces (set allowNamespaces to this namespace to need no cluster access)")
	}
	return strings.Join(parts, "; ")
}

// restrictedToOwnNamespace tells whether monitors are read only in the collector's namespace: either the CR limits
// prometheusCR to it, or the operator may not grant more.
func restrictedToOwnNamespace(col *v1alpha1.OpenTelemetryCollector, opts Options) bool {
	p := col.Spec.TargetAllocator.PrometheusCR
	if !opts.AllowClusterWideTargetAllocators {
		return true
	}
	return len(p.AllowNamespaces) > 0 && !slices.ContainsFunc(p.AllowNamespaces, func(n string) bool { return n != col.Namespace })
}

func addTargetAllocatorRBAC(c *Children, col *v1alpha1.OpenTelemetryCollector, opts Options, needs clusterNeeds) {
	ta := col.Spec.TargetAllocator
	if ta.ServiceAccount != "" {
		roles := []string{TargetAllocatorClusterRole}
		if ta.PrometheusCR.Enabled {
			roles = append(roles, TargetAllocatorPrometheusCRClusterRole)
		}
		c.TargetAllocatorAccess = TargetAllocatorAccess{
			Reason: AccessReasonServiceAccountNotManaged,
			Message: fmt.Sprintf("spec.targetAllocator.serviceAccount names %q, which the operator did not create, so the operator binds no role to it "+
				"(that would grant the rights to every pod running as it); a namespace admin may bind ClusterRole(s) %s to it in namespace %s, "+
				"or leave serviceAccount empty", ta.ServiceAccount, strings.Join(roles, ", "), col.Namespace),
		}
		return
	}
	name := TargetAllocatorName(col.Name)
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: col.Namespace}
	roleBinding := func(bindingName, clusterRole string) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{
			TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "RoleBinding"),
			ObjectMeta: objectMeta(col, ComponentTargetAllocator, bindingName),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
			Subjects:   []rbacv1.Subject{subject},
		}
	}
	c.RoleBindings = append(c.RoleBindings, roleBinding(name, TargetAllocatorClusterRole))
	if ta.PrometheusCR.Enabled {
		c.RoleBindings = append(c.RoleBindings, roleBinding(name+"-prometheus-cr", TargetAllocatorPrometheusCRClusterRole))
	}
	c.TargetAllocatorAccess = TargetAllocatorAccess{
		Complete: true, Reason: AccessReasonGranted,
		Message: fmt.Sprintf("the target allocator reads namespace %s only", col.Namespace),
	}
	if !needs.any() {
		return
	}
	if !opts.AllowClusterWideTargetAllocators {
		c.TargetAllocatorAccess = TargetAllocatorAccess{
			Reason: AccessReasonClusterAccessNotAllowed,
			Message: fmt.Sprintf("the target allocator reads namespace %s only, but %s; cluster-wide target allocators are the cluster admin's decision "+
				"(operator flag --allow-cluster-wide-target-allocators)", col.Namespace, needs),
		}
		return
	}
	// No owner reference: a cluster-scoped object cannot be owned by a namespaced one (the garbage collector would
	// treat the reference as dangling). The controller deletes these by their instance label instead.
	clusterBinding := func(bindingName, clusterRole string) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{
			TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
			ObjectMeta: metav1.ObjectMeta{Name: bindingName, Labels: Labels(col, ComponentTargetAllocator, TargetAllocatorName(col.Name))},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
			Subjects:   []rbacv1.Subject{subject},
		}
	}
	clusterName := ClusterTargetAllocatorName(col.Namespace, col.Name)
	if len(needs.discoveryJobs) > 0 {
		c.ClusterRoleBindings = append(c.ClusterRoleBindings, clusterBinding(clusterName, TargetAllocatorDiscoveryClusterRole))
	}
	if needs.monitors {
		c.ClusterRoleBindings = append(c.ClusterRoleBindings, clusterBinding(clusterName+"-monitoring", TargetAllocatorMonitoringClusterRole))
	}
	c.TargetAllocatorAccess.Message = fmt.Sprintf("the target allocator reads namespace %s and, as the operator allows cluster-wide target allocators, "+
		"the cluster: %s; Secrets only in namespace %s", col.Namespace, needs, col.Namespace)
}

// clusterAccessNeeds tells whether the TA would read anything outside its namespace: monitors selected beyond it,
// or Kubernetes service discovery that is not limited to its own namespace, that lists nodes, or that attaches
// node or namespace metadata.
func clusterAccessNeeds(col *v1alpha1.OpenTelemetryCollector) (clusterNeeds, error) {
	var needs clusterNeeds
	if p := col.Spec.TargetAllocator.PrometheusCR; p.Enabled {
		needs.monitors = len(p.AllowNamespaces) == 0 || slices.ContainsFunc(p.AllowNamespaces, func(n string) bool { return n != col.Namespace })
	}
	var doc struct {
		Receivers map[string]struct {
			Config struct {
				ScrapeConfigs []struct {
					JobName             string               `json:"job_name"`
					KubernetesSDConfigs []kubernetesSDConfig `json:"kubernetes_sd_configs"`
				} `json:"scrape_configs"`
			} `json:"config"`
		} `json:"receivers"`
	}
	if err := yamlbound.Unmarshal([]byte(col.Spec.Config), &doc); err != nil {
		return needs, fmt.Errorf("the collector config is not valid YAML: %w", err)
	}
	for _, r := range doc.Receivers {
		for _, sc := range r.Config.ScrapeConfigs {
			if slices.ContainsFunc(sc.KubernetesSDConfigs, func(sd kubernetesSDConfig) bool { return sd.readsBeyond(col.Namespace) }) {
				needs.discoveryJobs = append(needs.discoveryJobs, fmt.Sprintf("%q", sc.JobName))
			}
		}
	}
	slices.Sort(needs.discoveryJobs)
	needs.discoveryJobs = slices.Compact(needs.discoveryJobs)
	return needs, nil
}

// kubernetesSDConfig holds the fields of a kubernetes_sd_config that decide its scope.
type kubernetesSDConfig struct {
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
}

// readsBeyond tells whether the discovery reads anything that is not in namespace ns.
func (sd kubernetesSDConfig) readsBeyond(ns string) bool {
	switch {
	case sd.Role == "node" || sd.Namespaces == nil || sd.AttachMetadata.Node || sd.AttachMetadata.Namespace:
		return true
	case len(sd.Namespaces.Names) == 0 && !sd.Namespaces.OwnNamespace:
		return true
	}
	return slices.ContainsFunc(sd.Namespaces.Names, func(n string) bool { return n != ns })
}
