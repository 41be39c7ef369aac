package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// replicatedTACollector is a deployment collector whose TA runs three consistent-hashing replicas and says nothing
// about their placement or disruption budget: the golden case deployment-ta-replicas.
func replicatedTACollector(*testing.T) *v1alpha1.OpenTelemetryCollector {
	return &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Name: "scrape", Namespace: "obs", UID: "uid-scrape"},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:     v1alpha1.ModeDeployment,
			Replicas: ptr.To[int32](4),
			Config:   otlpConfig,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{
				Enabled:            true,
				Replicas:           ptr.To[int32](3),
				AllocationStrategy: v1alpha1.AllocationStrategyConsistentHashing,
			},
		},
	}
}

// buildTA builds col and returns its TA Deployment and PodDisruptionBudget.
func buildTA(t *testing.T, col *v1alpha1.OpenTelemetryCollector) (*appsv1.Deployment, *policyv1.PodDisruptionBudget) {
	t.Helper()
	children, err := Build(col, testOptions)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	name := TargetAllocatorName(col.Name)
	var dep *appsv1.Deployment
	for _, d := range children.Deployments {
		if d.Name == name {
			dep = d
		}
	}
	var pdb *policyv1.PodDisruptionBudget
	for _, p := range children.PodDisruptionBudgets {
		if p.Name == name {
			pdb = p
		}
	}
	if dep == nil || pdb == nil {
		t.Fatalf("no TA Deployment or PodDisruptionBudget %s among the children", name)
	}
	return dep, pdb
}

func TestTargetAllocatorDefaultTopologySpread(t *testing.T) {
	col := replicatedTACollector(t)
	dep, _ := buildTA(t, col)
	got := dep.Spec.Template.Spec.TopologySpreadConstraints
	selector := &metav1.LabelSelector{MatchLabels: SelectorLabels(col, ComponentTargetAllocator)}
	want := []corev1.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: selector, MatchLabelKeys: []string{"pod-template-hash"},
	}, {
		MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: selector, MatchLabelKeys: []string{"pod-template-hash"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("default spread of 3 TA replicas (-want +got):\n%s", diff)
	}
	// The constraints must count the TA pods of this collector and nothing else: they select the pod template,
	// not the collector's pods, and a key of matchLabelKeys may not also be in the selector (the API refuses it).
	podLabels := labels.Set(dep.Spec.Template.Labels)
	collectorPods := labels.Set(SelectorLabels(col, ComponentCollector))
	for _, c := range got {
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(podLabels) {
			t.Errorf("%s: selector %v does not match the TA pod labels %v", c.TopologyKey, sel, podLabels)
		}
		if sel.Matches(collectorPods) {
			t.Errorf("%s: selector %v matches the collector pods", c.TopologyKey, sel)
		}
		if _, ok := c.LabelSelector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey]; ok {
			t.Errorf("%s: pod-template-hash both in matchLabelKeys and the selector", c.TopologyKey)
		}
	}
	// Each constraint has its own selector: a later edit of one (by a mutating webhook, say) reaches no other.
	if got[0].LabelSelector == got[1].LabelSelector {
		t.Error("the constraints share one LabelSelector")
	}
}

func TestTargetAllocatorTopologySpreadLeftAlone(t *testing.T) {
	user := []corev1.TopologySpreadConstraint{{
		MaxSkew: 2, TopologyKey: "example.com/rack", WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelComponent: ComponentTargetAllocator}},
	}}
	antiAffinity := &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{
			TopologyKey:   "kubernetes.io/hostname",
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelComponent: ComponentTargetAllocator}},
		}}},
	}}
	nodeAffinity := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/os", Operator: corev1.NodeSelectorOpIn, Values: []string{"linux"}}},
		}}},
	}}
	tests := []struct {
		name     string
		edit     func(ta *v1alpha1.TargetAllocatorSpec)
		want     []corev1.TopologySpreadConstraint
		defaults bool
	}{
		{name: "replicas 1", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.Replicas = ptr.To[int32](1) }},
		{name: "replicas unset", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.Replicas = nil }},
		{name: "replicas 0", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.Replicas = ptr.To[int32](0) }},
		{name: "user constraints", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.TopologySpreadConstraints = user }, want: user},
		{name: "user constraints, replicas 1", edit: func(ta *v1alpha1.TargetAllocatorSpec) {
			ta.Replicas, ta.TopologySpreadConstraints = ptr.To[int32](1), user
		}, want: user},
		{name: "podAntiAffinity", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.Affinity = antiAffinity }},
		{name: "node affinity only still spreads", edit: func(ta *v1alpha1.TargetAllocatorSpec) { ta.Affinity = nodeAffinity }, defaults: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := replicatedTACollector(t)
			tt.edit(&col.Spec.TargetAllocator)
			dep, _ := buildTA(t, col)
			got := dep.Spec.Template.Spec.TopologySpreadConstraints
			if tt.defaults {
				if len(got) != 2 || got[0].TopologyKey != corev1.LabelHostname || got[1].TopologyKey != corev1.LabelTopologyZone {
					t.Fatalf("want the default hostname and zone spread, got %+v", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("topologySpreadConstraints (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(col.Spec.TargetAllocator.Affinity, dep.Spec.Template.Spec.Affinity); diff != "" {
				t.Errorf("affinity changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetAllocatorPodDisruptionBudget(t *testing.T) {
	always := ptr.To(policyv1.AlwaysAllow)
	tests := []struct {
		name           string
		replicas       *int32
		budget         *v1alpha1.PodDisruptionBudgetSpec
		maxUnavailable *intstr.IntOrString
		minAvailable   *intstr.IntOrString
		policy         *policyv1.UnhealthyPodEvictionPolicyType
	}{
		// One replica: maxUnavailable 1 lets a drain evict the only pod, ready or not (desiredHealthy is 0), so the
		// API's default eviction policy is kept and the object is what it always was.
		{name: "replicas unset", maxUnavailable: ptr.To(intstr.FromInt32(1))},
		{name: "replicas 1", replicas: ptr.To[int32](1), maxUnavailable: ptr.To(intstr.FromInt32(1))},
		{name: "replicas 3", replicas: ptr.To[int32](3), maxUnavailable: ptr.To(intstr.FromInt32(1)), policy: always},
		{
			name: "replicas 3, user minAvailable", replicas: ptr.To[int32](3),
			budget:       &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromString("50%"))},
			minAvailable: ptr.To(intstr.FromString("50%")), policy: always,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := replicatedTACollector(t)
			col.Spec.TargetAllocator.Replicas, col.Spec.TargetAllocator.PodDisruptionBudget = tt.replicas, tt.budget
			dep, pdb := buildTA(t, col)
			want := policyv1.PodDisruptionBudgetSpec{
				MinAvailable: tt.minAvailable, MaxUnavailable: tt.maxUnavailable, UnhealthyPodEvictionPolicy: tt.policy,
				Selector: dep.Spec.Selector,
			}
			if diff := cmp.Diff(want, pdb.Spec); diff != "" {
				t.Fatalf("PodDisruptionBudget spec (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTargetAllocatorRollingUpdate pins the choice to keep the Deployment's default strategy: RollingUpdate with
// 25% surge (rounded up) and 25% unavailable (rounded down), so a rollout of 1 to 3 replicas removes no ready pod
// before its successor is ready, and of more keeps at least three quarters serving.
func TestTargetAllocatorRollingUpdate(t *testing.T) {
	for _, n := range []int32{1, 3} {
		col := replicatedTACollector(t)
		col.Spec.TargetAllocator.Replicas = ptr.To(n)
		dep, _ := buildTA(t, col)
		if diff := cmp.Diff(appsv1.DeploymentStrategy{}, dep.Spec.Strategy); diff != "" {
			t.Errorf("replicas %d: strategy is not left to the API default (-want +got):\n%s", n, diff)
		}
	}
}
