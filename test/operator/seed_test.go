package operator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const seedName = "collector-with-ta"

// childGetters fetch each namespaced child of the seed by kind and name.
func seedChildren(ctx context.Context, ns string) map[string]func() (metav1.Object, error) {
	c, ta := resources.CollectorName(seedName), resources.TargetAllocatorName(seedName)
	return map[string]func() (metav1.Object, error){
		"ConfigMap " + c:  func() (metav1.Object, error) { return admin.CoreV1().ConfigMaps(ns).Get(ctx, c, metav1.GetOptions{}) },
		"ConfigMap " + ta: func() (metav1.Object, error) { return admin.CoreV1().ConfigMaps(ns).Get(ctx, ta, metav1.GetOptions{}) },
		"StatefulSet " + c: func() (metav1.Object, error) {
			return admin.AppsV1().StatefulSets(ns).Get(ctx, c, metav1.GetOptions{})
		},
		"Service " + resources.HeadlessServiceName(seedName): func() (metav1.Object, error) {
			return admin.CoreV1().Services(ns).Get(ctx, resources.HeadlessServiceName(seedName), metav1.GetOptions{})
		},
		"Service " + resources.MonitoringServiceName(seedName): func() (metav1.Object, error) {
			return admin.CoreV1().Services(ns).Get(ctx, resources.MonitoringServiceName(seedName), metav1.GetOptions{})
		},
		"ServiceAccount " + c: func() (metav1.Object, error) {
			return admin.CoreV1().ServiceAccounts(ns).Get(ctx, c, metav1.GetOptions{})
		},
		"Deployment " + ta: func() (metav1.Object, error) { return admin.AppsV1().Deployments(ns).Get(ctx, ta, metav1.GetOptions{}) },
		"Service " + ta:    func() (metav1.Object, error) { return admin.CoreV1().Services(ns).Get(ctx, ta, metav1.GetOptions{}) },
		"ServiceAccount " + ta: func() (metav1.Object, error) {
			return admin.CoreV1().ServiceAccounts(ns).Get(ctx, ta, metav1.GetOptions{})
		},
		"RoleBinding " + ta: func() (metav1.Object, error) {
			return admin.RbacV1().RoleBindings(ns).Get(ctx, ta, metav1.GetOptions{})
		},
		"PodDisruptionBudget " + ta: func() (metav1.Object, error) {
			return admin.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, ta, metav1.GetOptions{})
		},
	}
}

func allExist(getters map[string]func() (metav1.Object, error)) error {
	var missing []string
	for name, get := range getters {
		if _, err := get(); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

func createSeed(t *testing.T, ctx context.Context, ns string) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	col := seedExample(t)
	col.Namespace = ns
	created, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "every child exists", func() error { return allExist(seedChildren(ctx, ns)) })
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	return created
}

// TestSeedExample applies the user's example and checks every child, the status, and that a converged collector
// costs no writes across many resyncs.
func TestSeedExample(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "seed")
	col := createSeed(t, ctx, ns)

	for name, get := range seedChildren(ctx, ns) {
		obj, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		assertControlledBy(t, obj, col)
		want := map[string]string{
			resources.LabelManagedBy: "opentelemetry-operator", resources.LabelInstance: ns + "." + seedName,
			resources.LabelPartOf: "opentelemetry", resources.LabelName: obj.GetName(),
		}
		for k, v := range want {
			if obj.GetLabels()[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, obj.GetLabels()[k], v)
			}
		}
	}

	// The contract: the collector's config equals the seed's rewritten config, as YAML.
	cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expected, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "pkg", "configrewrite", "testdata", "seed-expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, diff := yamlEqual(cm.Data["collector.yaml"], string(expected)); !ok {
		t.Errorf("collector config differs from the seed's rewritten config:\n%s", diff)
	}

	taCM, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	taConfig := taCM.Data["targetallocator.yaml"]
	for _, want := range []string{"otel-collector", "consistent-hashing", "app.kubernetes.io/instance: " + ns + "." + seedName, "replacement: $1"} {
		if !strings.Contains(taConfig, want) {
			t.Errorf("TA config lacks %q:\n%s", want, taConfig)
		}
	}

	sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctr := sts.Spec.Template.Spec.Containers[0]
	if ctr.Name != "otc-container" || ctr.Image != collectorImage || !slices.Equal(ctr.Args, []string{"--config=/conf/collector.yaml"}) ||
		ctr.Env[0].Name != "POD_NAME" || ctr.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.name" {
		t.Errorf("collector container = %+v", ctr)
	}
	if sts.Spec.ServiceName != resources.HeadlessServiceName(seedName) || sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement ||
		sts.Spec.Template.Annotations[resources.ConfigHashAnnotation] == "" || *sts.Spec.Replicas != 1 {
		t.Errorf("StatefulSet spec = %+v", sts.Spec)
	}

	dep, err := admin.AppsV1().Deployments(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ta := dep.Spec.Template.Spec.Containers[0]
	if ta.Name != "ta-container" || ta.Image != taImage || ta.Ports[0].Name != "http" || ta.Ports[0].ContainerPort != 8080 ||
		ta.LivenessProbe.HTTPGet.Path != "/livez" || ta.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		ta.Env[0].Name != "OTELCOL_NAMESPACE" || !slices.Equal(ta.Args, []string{"--config-file=/conf/targetallocator.yaml"}) ||
		dep.Spec.Template.Annotations[resources.ConfigHashAnnotation] == "" {
		t.Errorf("TA container = %+v", ta)
	}
	svc, err := admin.CoreV1().Services(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantPort := corev1.ServicePort{Name: "targetallocation", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}
	if diff := cmp.Diff([]corev1.ServicePort{wantPort}, svc.Spec.Ports); diff != "" {
		t.Errorf("TA Service ports (-want +got):\n%s", diff)
	}
	pdb, err := admin.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PDB maxUnavailable = %v", pdb.Spec.MaxUnavailable)
	}
	if _, err := admin.CoreV1().Services(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Service %s: %v, want none (the seed's receivers listen on no port)", resources.CollectorName(seedName), err)
	}

	got := getCollector(t, ctx, ns, seedName)
	if got.Status.Image != collectorImage || got.Status.CollectorIDPlaceholder != configrewrite.DefaultCollectorIDPlaceholder ||
		!strings.Contains(got.Status.Scale.Selector, "app.kubernetes.io/component=opentelemetry-collector") ||
		got.Status.TargetAllocator == nil || got.Status.ObservedGeneration != got.Generation {
		t.Errorf("status = %+v", got.Status)
	}
	waitEvent(t, ctx, ns, seedName, controller.ReasonCreated)

	// Quiet steady state: no write for a converged collector (our own status writes and Events come back as
	// updates and must not cause more). Other tests' collectors may be converging concurrently only if run in
	// parallel, which this suite does not do.
	before := operatorWrites.Load()
	time.Sleep(4 * time.Second)
	if n := operatorWrites.Load() - before; n != 0 {
		t.Errorf("operator made %d writes during 4 s of resyncs of a converged collector, want 0", n)
	}
}

// TestChangesFollow changes replicas, config, strategy and finally turns the TA off.
func TestChangesFollow(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "changes")
	createSeed(t, ctx, ns)
	stsName := resources.CollectorName(seedName)
	sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, stsName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	oldHash := sts.Spec.Template.Annotations[resources.ConfigHashAnnotation]

	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Replicas = ptr.To[int32](3) })
	eventually(t, "StatefulSet has 3 replicas", func() error {
		s, err := admin.AppsV1().StatefulSets(ns).Get(ctx, stsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if *s.Spec.Replicas != 3 {
			return fmt.Errorf("replicas %d", *s.Spec.Replicas)
		}
		return nil
	})

	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) {
		c.Spec.Config = strings.Replace(c.Spec.Config, "scrape_configs:\n",
			"scrape_configs:\n      - job_name: 'second-job'\n        static_configs:\n        - targets: ['10.0.0.1:9100']\n", 1)
	})
	eventually(t, "config change reaches both ConfigMaps and rolls the pods", func() error {
		cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, stsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !strings.Contains(cm.Data["collector.yaml"], "jobs/second-job/targets") {
			return fmt.Errorf("collector config:\n%s", cm.Data["collector.yaml"])
		}
		ta, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !strings.Contains(ta.Data["targetallocator.yaml"], "10.0.0.1:9100") {
			return fmt.Errorf("TA config:\n%s", ta.Data["targetallocator.yaml"])
		}
		s, err := admin.AppsV1().StatefulSets(ns).Get(ctx, stsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if s.Spec.Template.Annotations[resources.ConfigHashAnnotation] == oldHash {
			return fmt.Errorf("config hash unchanged")
		}
		return nil
	})

	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) {
		c.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyLeastWeighted
	})
	eventually(t, "strategy reaches the TA config", func() error {
		ta, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, resources.TargetAllocatorName(seedName), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !strings.Contains(ta.Data["targetallocator.yaml"], "least-weighted") {
			return fmt.Errorf("TA config:\n%s", ta.Data["targetallocator.yaml"])
		}
		return nil
	})
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)

	// A merge patch that states enabled: false. An Update from a Go client would omit the field (omitempty) and
	// the CRD's CEL rules fail on the missing key (see the report).
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Patch(ctx, seedName, types.MergePatchType,
		[]byte(`{"spec":{"targetAllocator":{"enabled":false}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	taName := resources.TargetAllocatorName(seedName)
	eventually(t, "TA children are deleted", func() error {
		var left []string
		for name, get := range seedChildren(ctx, ns) {
			if !strings.HasSuffix(name, taName) {
				continue
			}
			if _, err := get(); !apierrors.IsNotFound(err) {
				left = append(left, name)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})
	eventually(t, "collector config is no longer rewritten", func() error {
		cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, stsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if want := getCollector(t, ctx, ns, seedName).Spec.Config; cm.Data["collector.yaml"] != want {
			return fmt.Errorf("collector config:\n%s", cm.Data["collector.yaml"])
		}
		return nil
	})
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
	if ta := getCollector(t, ctx, ns, seedName).Status.TargetAllocator; ta != nil {
		t.Errorf("status.targetAllocator = %+v, want nil with the TA off", ta)
	}
	waitEvent(t, ctx, ns, seedName, controller.ReasonDeleted)

	// Mode change: the StatefulSet and its headless Service give way to a Deployment.
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Patch(ctx, seedName, types.MergePatchType,
		[]byte(`{"spec":{"mode":"deployment"}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "workload follows the mode", func() error {
		if _, err := admin.AppsV1().StatefulSets(ns).Get(ctx, stsName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("StatefulSet: %v", err)
		}
		if _, err := admin.CoreV1().Services(ns).Get(ctx, resources.HeadlessServiceName(seedName), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("headless Service: %v", err)
		}
		d, err := admin.AppsV1().Deployments(ns).Get(ctx, stsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if *d.Spec.Replicas != 3 {
			return fmt.Errorf("Deployment replicas %d", *d.Spec.Replicas)
		}
		return nil
	})
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
}

// TestDriftIsRepaired deletes and edits children by hand.
func TestDriftIsRepaired(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "drift")
	col := createSeed(t, ctx, ns)
	taName := resources.TargetAllocatorName(seedName)

	old, err := admin.CoreV1().Services(ns).Get(ctx, taName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CoreV1().Services(ns).Delete(ctx, taName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted Service comes back", func() error {
		s, err := admin.CoreV1().Services(ns).Get(ctx, taName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if s.UID == old.UID {
			return fmt.Errorf("still the old Service")
		}
		assertControlledBy(t, s, col)
		return nil
	})

	cmName := resources.CollectorName(seedName)
	cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := cm.Data["collector.yaml"]
	cm.Data["collector.yaml"] = "receivers: {}\n"
	cm.Labels["team"] = "kept"
	if _, err := admin.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "edited ConfigMap is restored", func() error {
		c, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, cmName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if c.Data["collector.yaml"] != want {
			return fmt.Errorf("config still %q", c.Data["collector.yaml"])
		}
		if c.Labels["team"] != "kept" {
			return fmt.Errorf("someone else's label was removed")
		}
		return nil
	})

	sts, err := admin.AppsV1().StatefulSets(ns).Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sts.Spec.Replicas = ptr.To[int32](7)
	sts.Spec.Template.Spec.Containers[0].Image = "example.com/other:1"
	if _, err := admin.AppsV1().StatefulSets(ns).Update(ctx, sts, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "edited StatefulSet is restored", func() error {
		s, err := admin.AppsV1().StatefulSets(ns).Get(ctx, cmName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if *s.Spec.Replicas != 1 || s.Spec.Template.Spec.Containers[0].Image != collectorImage {
			return fmt.Errorf("replicas %d image %s", *s.Spec.Replicas, s.Spec.Template.Spec.Containers[0].Image)
		}
		return nil
	})
	waitEvent(t, ctx, ns, seedName, controller.ReasonUpdated)
}

// TestInvalidConfigKeepsChildren breaks the config: Ready=False with the rewrite's message, an Event, and the
// last good children untouched.
func TestInvalidConfigKeepsChildren(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "invalid")
	createSeed(t, ctx, ns)
	cmName := resources.CollectorName(seedName)
	before, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	bad := "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Config = bad })
	_, rewriteErr := configrewrite.RewriteCollectorConfig(bad, configrewrite.Options{CollectorName: seedName})
	if rewriteErr == nil {
		t.Fatal("the bad config is accepted by configrewrite")
	}
	cond := waitReady(t, ctx, ns, seedName, metav1.ConditionFalse, controller.ReasonInvalidConfig)
	if cond.Message != rewriteErr.Error() {
		t.Errorf("Ready message = %q, want the rewrite's error verbatim %q", cond.Message, rewriteErr.Error())
	}
	ev := waitEvent(t, ctx, ns, seedName, controller.ReasonInvalidConfig)
	if ev.Type != corev1.EventTypeWarning || ev.Message != rewriteErr.Error() {
		t.Errorf("event = %s %q", ev.Type, ev.Message)
	}
	time.Sleep(2 * time.Second) // our own status write and its echo
	if err := allExist(seedChildren(ctx, ns)); err != nil {
		t.Errorf("children lost after an invalid config: %v", err)
	}
	after, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, cmName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("collector ConfigMap was written after an invalid config:\n%s", after.Data["collector.yaml"])
	}

	// Fixing the config recovers.
	updateCollector(t, ctx, ns, seedName, func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.Config = seedExample(t).Spec.Config })
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)
}

// TestForeignChildIsLeftAlone: a same-named object that is not this collector's is neither changed nor deleted,
// and the collector reports it.
func TestForeignChildIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "foreign")
	foreign := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: resources.TargetAllocatorName(seedName), Namespace: ns},
		Data:       map[string]string{"owner": "someone else"},
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	col := seedExample(t)
	col.Namespace = ns
	if _, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cond := waitReady(t, ctx, ns, seedName, metav1.ConditionFalse, controller.ReasonChildConflict)
	if !strings.Contains(cond.Message, "ConfigMap "+foreign.Name) {
		t.Errorf("Ready message %q does not name the ConfigMap", cond.Message)
	}
	waitEvent(t, ctx, ns, seedName, controller.ReasonChildConflict)
	got, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, foreign.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(foreign.Data, got.Data); diff != "" || len(got.OwnerReferences) != 0 {
		t.Errorf("foreign ConfigMap changed (-want +got):\n%s\nowners %v", diff, got.OwnerReferences)
	}
	// The rest is still built.
	if _, err := admin.AppsV1().StatefulSets(ns).Get(ctx, resources.CollectorName(seedName), metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
}

// TestDeleteCollector: envtest has no garbage collector, so the namespaced children's controller references are
// what deletes them in a cluster; the cluster-scoped RBAC (which cannot have a namespaced owner) the operator
// deletes itself.
func TestDeleteCollector(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, ctx, "delete")
	col := seedExample(t)
	col.Namespace = ns
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	created, err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "every child exists", func() error { return allExist(seedChildren(ctx, ns)) })
	clusterName := resources.ClusterTargetAllocatorName(ns, seedName) + "-monitoring"
	eventually(t, "ClusterRoleBinding exists", func() error {
		_, err := admin.RbacV1().ClusterRoleBindings().Get(ctx, clusterName, metav1.GetOptions{})
		return err
	})
	waitReady(t, ctx, ns, seedName, metav1.ConditionTrue, controller.ReasonReconciled)

	if err := otelAdmin.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Delete(ctx, seedName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "cluster-scoped children are deleted", func() error {
		if _, err := admin.RbacV1().ClusterRoleBindings().Get(ctx, clusterName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("ClusterRoleBinding: %v", err)
		}
		return nil
	})
	for name, get := range seedChildren(ctx, ns) {
		obj, err := get()
		if err != nil {
			t.Errorf("%s: %v (nothing but the garbage collector should delete it)", name, err)
			continue
		}
		assertControlledBy(t, obj, created)
	}
}
