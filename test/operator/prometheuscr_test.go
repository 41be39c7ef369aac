package operator_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// TestPrometheusCR: with prometheusCR the collector pulls the TA's /scrape_configs, the TA may read monitors and
// the Secrets they reference (the operator could grant that only because manifests/operator holds it), and the
// TA's Events become the PrometheusCRDiscovery condition.
func TestPrometheusCR(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "prometheus-cr")
	col := seedExample(t)
	col.Namespace = ns
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	col.Spec.TargetAllocator.PrometheusCR.ServiceMonitorSelector = &metav1.LabelSelector{}
	col, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	waitDiscovery(t, ctx, ns, metav1.ConditionUnknown, controller.ReasonAwaitingTargetAllocator, "")

	cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Receivers map[string]struct {
			TargetAllocator map[string]string `json:"target_allocator"`
		} `json:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data[resources.CollectorConfigKey]), &config); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"endpoint": "http://collector-with-ta-targetallocator:80", "interval": "30s", "collector_id": "$POD_NAME"}
	if got := config.Receivers["prometheus"].TargetAllocator; !maps.Equal(got, want) {
		t.Errorf("target_allocator = %v, want %v in\n%s", got, want, cm.Data[resources.CollectorConfigKey])
	}

	// Monitors and their Secrets in the namespace, monitors (not Secrets) cluster-wide: bindings to the fixed
	// ClusterRoles (this suite's operator allows cluster-wide target allocators).
	rb, err := admin.RbacV1().RoleBindings(ns).Get(ctx, resources.TargetAllocatorName(seedName)+"-prometheus-cr", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.RoleRef.Name != resources.TargetAllocatorPrometheusCRClusterRole {
		t.Errorf("RoleBinding refers to %s", rb.RoleRef.Name)
	}
	crb, err := admin.RbacV1().ClusterRoleBindings().Get(ctx, resources.ClusterTargetAllocatorName(ns, seedName)+"-monitoring", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if crb.RoleRef.Name != resources.TargetAllocatorMonitoringClusterRole {
		t.Errorf("ClusterRoleBinding refers to %s", crb.RoleRef.Name)
	}
	for name, rules := range map[string][]rbacv1.PolicyRule{
		rb.RoleRef.Name: resources.TargetAllocatorClusterRoleRules()[rb.RoleRef.Name], crb.RoleRef.Name: resources.TargetAllocatorClusterRoleRules()[crb.RoleRef.Name],
	} {
		for _, res := range []string{"servicemonitors", "podmonitors", "probes", "scrapeconfigs"} {
			if !allows(rules, "monitoring.coreos.com", res, "watch") {
				t.Errorf("%s: no watch on %s in %v", name, res, rules)
			}
		}
	}

	// The TA reports an invalid monitor, then (later) a good selection.
	report := func(name, eventType, reason, message string, at time.Time) {
		t.Helper()
		ev := &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			InvolvedObject: corev1.ObjectReference{
				APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "OpenTelemetryCollector",
				Namespace: ns, Name: seedName, UID: col.UID,
			},
			Source: corev1.EventSource{Component: controller.TargetAllocatorEventSource},
			Type:   eventType, Reason: reason, Message: message,
			FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at), Count: 1,
		}
		if _, err := admin.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	bad := "ServiceMonitor " + ns + "/web is invalid: endpoint 0 has neither port nor targetPort"
	report("ta.1", corev1.EventTypeWarning, controller.ReasonMonitorInvalid, bad, now)
	waitDiscovery(t, ctx, ns, metav1.ConditionFalse, controller.ReasonMonitorInvalid, bad)
	good := "selected 1 ServiceMonitors, 0 PodMonitors, 0 Probes, 0 ScrapeConfigs: 1 scrape jobs, 0 invalid resources"
	report("ta.2", corev1.EventTypeNormal, controller.ReasonMonitorsSelected, good, now.Add(2*time.Second))
	waitDiscovery(t, ctx, ns, metav1.ConditionTrue, controller.ReasonMonitorsSelected, good)

	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.TargetAllocator.PrometheusCR.Enabled = false })
	eventually(t, "no PrometheusCRDiscovery without prometheusCR", func() error {
		c := getCollector(t, ctx, ns, seedName)
		if cond := meta.FindStatusCondition(c.Status.Conditions, controller.ConditionPrometheusCRDiscovery); cond != nil {
			return fmt.Errorf("condition %+v", cond)
		}
		if _, err := admin.RbacV1().ClusterRoleBindings().Get(ctx, resources.ClusterTargetAllocatorName(ns, seedName)+"-monitoring", metav1.GetOptions{}); err == nil {
			return fmt.Errorf("the TA's cluster-wide monitor binding is still there")
		}
		cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if strings.Contains(cm.Data[resources.CollectorConfigKey], "target_allocator") {
			return fmt.Errorf("collector config still has target_allocator")
		}
		return nil
	})
}

func waitDiscovery(t *testing.T, ctx context.Context, ns string, status metav1.ConditionStatus, reason, message string) {
	t.Helper()
	eventually(t, fmt.Sprintf("PrometheusCRDiscovery=%s/%s", status, reason), func() error {
		c := getCollector(t, ctx, ns, seedName)
		cond := meta.FindStatusCondition(c.Status.Conditions, controller.ConditionPrometheusCRDiscovery)
		if cond == nil {
			return fmt.Errorf("no condition")
		}
		if cond.Status != status || cond.Reason != reason || (message != "" && cond.Message != message) {
			return fmt.Errorf("%s/%s: %s", cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
}

func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}

// TestMTLSUnderOperatorRBAC: with mtls the operator, as its own service account, issues the three certificate
// Secrets (owned by the collector, which needs the Secret rule of manifests/operator) and mounts them.
func TestMTLSUnderOperatorRBAC(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "mtls")
	col := seedExample(t)
	col.Namespace = ns
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	col.Spec.TargetAllocator.PrometheusCR.ServiceMonitorSelector = &metav1.LabelSelector{}
	col.Spec.TargetAllocator.MTLS.Enabled = true
	col, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	for _, name := range []string{resources.TargetAllocatorCASecretName(seedName), resources.TargetAllocatorServerSecretName(seedName), resources.TargetAllocatorClientSecretName(seedName)} {
		s, err := admin.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ref := metav1.GetControllerOf(s); ref == nil || ref.UID != col.UID {
			t.Errorf("Secret %s is not controlled by the collector: %v", name, s.OwnerReferences)
		}
	}
	ta, err := admin.AppsV1().Deployments(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ta.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Secret != nil && v.Secret.SecretName == resources.TargetAllocatorServerSecretName(seedName)
	}) {
		t.Errorf("the TA Deployment does not mount its server certificate: %v", ta.Spec.Template.Spec.Volumes)
	}
}

// TestEnableMetricsWithoutMonitoringCRDs: this API server serves no ServiceMonitors, so enableMetrics writes
// nothing and the collector reconciles cleanly (discovery, not a failing create per sync). test/promcr covers the
// served case.
func TestEnableMetricsWithoutMonitoringCRDs(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "selfmon-unserved")
	col := seedExample(t)
	col.Namespace = ns
	col.Spec.Observability.Metrics.EnableMetrics = true
	col.Spec.TargetAllocator.Observability.Metrics.EnableMetrics = true
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
}
