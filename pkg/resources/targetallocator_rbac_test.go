package resources

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// grants reports whether rules allow verb on group/resource.
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}

// shippedClusterRoles reads the ClusterRoles of a manifest under manifests/operator, by name.
func shippedClusterRoles(t *testing.T, file string) map[string]*rbacv1.ClusterRole {
	t.Helper()
	raw, err := os.ReadFile("../../manifests/operator/" + file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*rbacv1.ClusterRole{}
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if tm.Kind != "ClusterRole" {
			continue
		}
		var cr rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict([]byte(doc), &cr); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[cr.Name] = &cr
	}
	return out
}

// TestShippedTargetAllocatorClusterRoles: what admins install is exactly what the code binds, and the operator may
// bind those names and nothing else, holding none of their rights.
func TestShippedTargetAllocatorClusterRoles(t *testing.T) {
	shipped := shippedClusterRoles(t, "targetallocator-rbac.yaml")
	want := TargetAllocatorClusterRoleRules()
	if len(shipped) != len(want) {
		t.Errorf("manifest has %d ClusterRoles, code knows %d", len(shipped), len(want))
	}
	for _, name := range TargetAllocatorClusterRoles() {
		got, ok := shipped[name]
		if !ok {
			t.Errorf("ClusterRole %s is not shipped", name)
			continue
		}
		if diff := cmp.Diff(want[name], got.Rules); diff != "" {
			t.Errorf("ClusterRole %s differs from the code (-code +manifest):\n%s", name, diff)
		}
	}
	for _, name := range []string{TargetAllocatorDiscoveryClusterRole, TargetAllocatorMonitoringClusterRole} {
		if grants(want[name], "", "secrets", "get") || grants(want[name], "", "secrets", "list") {
			t.Errorf("cluster-wide ClusterRole %s grants Secret read", name)
		}
	}

	op := shippedClusterRoles(t, "clusterrole.yaml")["otelcol-operator"]
	if op == nil {
		t.Fatal("operator ClusterRole not found")
	}
	// Two kinds the TA's roles grant are also the operator's own children: the mTLS certificate Secrets and the
	// self-monitoring ServiceMonitors. It may hold exactly these verbs on them (no watch of monitors: no
	// informer), and nothing on the other kinds it only grants.
	own := map[string][]string{
		"secrets":         {"get", "list", "watch", "create", "update", "delete"},
		"servicemonitors": {"get", "list", "create", "update", "delete"},
	}
	var bindable []string
	for _, r := range op.Rules {
		for _, res := range []string{"secrets", "pods", "nodes", "endpoints", "servicemonitors"} {
			if !slices.Contains(r.Resources, res) && !slices.Contains(r.Resources, "*") {
				continue
			}
			if verbs, ok := own[res]; !ok || len(r.Resources) != 1 || len(r.ResourceNames) > 0 || !slices.Equal(r.Verbs, verbs) {
				t.Errorf("the operator holds %v on %v: it must not hold what it only grants (its own children: %v)", r.Verbs, r.Resources, own)
			}
		}
		if slices.Contains(r.Resources, "roles") || slices.Contains(r.Resources, "clusterroles") {
			if slices.Contains(r.Verbs, "create") || slices.Contains(r.Verbs, "update") || slices.Contains(r.Verbs, "escalate") || slices.Contains(r.Verbs, "*") {
				t.Errorf("the operator may write roles (%v): it must only bind the fixed ones", r.Verbs)
			}
			if slices.Contains(r.Verbs, "bind") {
				if len(r.ResourceNames) == 0 {
					t.Errorf("the operator may bind any role: %+v", r)
				}
				bindable = append(bindable, r.ResourceNames...)
			}
		}
	}
	slices.Sort(bindable)
	wantBindable := slices.Sorted(slices.Values(TargetAllocatorClusterRoles()))
	if diff := cmp.Diff(wantBindable, bindable); diff != "" {
		t.Errorf("the operator may bind (-want +got):\n%s", diff)
	}
}

// TestTargetAllocatorBindings plays a collector author trying each route to more rights than a namespace's edit
// role: the operator binds only the fixed ClusterRoles, only to the account it created, only in the collector's
// namespace, and cluster-wide only when allowed (and never Secrets).
func TestTargetAllocatorBindings(t *testing.T) {
	const everyNamespacePods = `receivers:
  prometheus:
    config:
      scrape_configs:
      - job_name: everywhere
        kubernetes_sd_configs: [{role: pod}]
      - job_name: here
        kubernetes_sd_configs: [{role: pod, namespaces: {own_namespace: true}}]
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [debug]
exporters:
  debug:
`
	allowed := testOptions
	allowed.AllowClusterWideTargetAllocators = true
	tests := []struct {
		name   string
		mutate func(*v1alpha1.OpenTelemetryCollector)
		opts   Options
		// roleRefs are the ClusterRoles bound in the namespace, clusterRefs those bound cluster-wide.
		roleRefs, clusterRefs []string
		reason                string
		// wantInMessage are fragments the condition message must carry for the admin.
		wantInMessage []string
		// allowNamespaces is what the TA config must restrict monitors to (nil: not restricted).
		allowNamespaces []string
	}{{
		name:            "prometheusCR, own account",
		mutate:          func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.TargetAllocator.PrometheusCR.Enabled = true },
		opts:            testOptions,
		roleRefs:        []string{TargetAllocatorClusterRole, TargetAllocatorPrometheusCRClusterRole},
		reason:          AccessReasonClusterAccessNotAllowed,
		wantInMessage:   []string{"--allow-cluster-wide-target-allocators", "prometheusCR"},
		allowNamespaces: []string{"default"},
	}, {
		name: "prometheusCR naming the namespace's default account",
		mutate: func(c *v1alpha1.OpenTelemetryCollector) {
			c.Spec.TargetAllocator.PrometheusCR.Enabled = true
			c.Spec.TargetAllocator.ServiceAccount = "default"
		},
		opts:            allowed,
		reason:          AccessReasonServiceAccountNotManaged,
		wantInMessage:   []string{`"default"`, TargetAllocatorClusterRole, TargetAllocatorPrometheusCRClusterRole},
		allowNamespaces: nil,
	}, {
		name:          "discovery of every namespace, not allowed",
		mutate:        func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Config = everyNamespacePods },
		opts:          testOptions,
		roleRefs:      []string{TargetAllocatorClusterRole},
		reason:        AccessReasonClusterAccessNotAllowed,
		wantInMessage: []string{`"everywhere"`, "--allow-cluster-wide-target-allocators"},
	}, {
		name:          "discovery of every namespace, allowed",
		mutate:        func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Config = everyNamespacePods },
		opts:          allowed,
		roleRefs:      []string{TargetAllocatorClusterRole},
		clusterRefs:   []string{TargetAllocatorDiscoveryClusterRole},
		reason:        AccessReasonGranted,
		wantInMessage: []string{`"everywhere"`},
	}, {
		name: "prometheusCR of every namespace, allowed",
		mutate: func(c *v1alpha1.OpenTelemetryCollector) {
			c.Spec.TargetAllocator.PrometheusCR.Enabled = true
		},
		opts:          allowed,
		roleRefs:      []string{TargetAllocatorClusterRole, TargetAllocatorPrometheusCRClusterRole},
		clusterRefs:   []string{TargetAllocatorMonitoringClusterRole},
		reason:        AccessReasonGranted,
		wantInMessage: []string{"Secrets only in namespace default"},
	}, {
		name: "prometheusCR limited to its namespace",
		mutate: func(c *v1alpha1.OpenTelemetryCollector) {
			c.Spec.TargetAllocator.PrometheusCR.Enabled = true
			c.Spec.TargetAllocator.PrometheusCR.AllowNamespaces = []string{"default"}
		},
		opts:            allowed,
		roleRefs:        []string{TargetAllocatorClusterRole, TargetAllocatorPrometheusCRClusterRole},
		reason:          AccessReasonGranted,
		allowNamespaces: []string{"default"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := seedCollector(t)
			tt.mutate(col)
			c, err := Build(col, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Roles)+len(c.ClusterRoles) > 0 {
				t.Errorf("the operator made roles of its own: %d Roles, %d ClusterRoles", len(c.Roles), len(c.ClusterRoles))
			}
			var roleRefs, clusterRefs []string
			subjects := map[rbacv1.Subject]bool{}
			for _, b := range c.RoleBindings {
				if b.Namespace != col.Namespace || b.RoleRef.Kind != "ClusterRole" {
					t.Errorf("RoleBinding %s/%s refers to %s %s", b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name)
				}
				roleRefs = append(roleRefs, b.RoleRef.Name)
				for _, s := range b.Subjects {
					subjects[s] = true
				}
			}
			for _, b := range c.ClusterRoleBindings {
				clusterRefs = append(clusterRefs, b.RoleRef.Name)
				for _, s := range b.Subjects {
					subjects[s] = true
				}
				if rules := TargetAllocatorClusterRoleRules()[b.RoleRef.Name]; grants(rules, "", "secrets", "list") || grants(rules, "", "secrets", "get") {
					t.Errorf("ClusterRoleBinding %s grants Secret read cluster-wide", b.Name)
				}
			}
			if diff := cmp.Diff(tt.roleRefs, roleRefs); diff != "" {
				t.Errorf("namespaced grants (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.clusterRefs, clusterRefs); diff != "" {
				t.Errorf("cluster-wide grants (-want +got):\n%s", diff)
			}
			created := map[string]bool{}
			for _, sa := range c.ServiceAccounts {
				created[sa.Namespace+"/"+sa.Name] = true
			}
			for s := range subjects {
				if s.Kind != rbacv1.ServiceAccountKind || !created[s.Namespace+"/"+s.Name] {
					t.Errorf("bound to %+v, which the operator does not create", s)
				}
			}
			a := c.TargetAllocatorAccess
			if a.Reason != tt.reason || a.Complete != (tt.reason == AccessReasonGranted) {
				t.Errorf("access = %+v, want reason %s", a, tt.reason)
			}
			for _, f := range tt.wantInMessage {
				if !strings.Contains(a.Message, f) {
					t.Errorf("access message %q lacks %q", a.Message, f)
				}
			}
			var taConfig struct {
				PrometheusCR struct {
					AllowNamespaces []string `json:"allow_namespaces"`
				} `json:"prometheus_cr"`
			}
			for _, cm := range c.ConfigMaps {
				if cm.Name == TargetAllocatorName(col.Name) {
					if err := yaml.Unmarshal([]byte(cm.Data[TargetAllocatorConfigKey]), &taConfig); err != nil {
						t.Fatal(err)
					}
				}
			}
			if diff := cmp.Diff(tt.allowNamespaces, taConfig.PrometheusCR.AllowNamespaces); diff != "" {
				t.Errorf("TA allow_namespaces (-want +got):\n%s", diff)
			}
		})
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
