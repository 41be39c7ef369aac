package targetallocator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const endpointsJob = "serviceMonitor/%s/api/0" // slashes exercise the job-name escaping end to end

func taConfig(ns string) string {
	return fmt.Sprintf(`collector_selector:
  matchlabels:
    app.kubernetes.io/component: opentelemetry-collector
allocation_strategy: consistent-hashing
collector_not_ready_grace_period: 30s
config:
  scrape_configs:
  - job_name: static
    static_configs:
    - targets: [%s]
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
    - role: pod
      namespaces: {names: [%[2]s]}
    relabel_configs:
    - source_labels: [__meta_kubernetes_pod_label_app]
      regex: web
      action: keep
  - job_name: %[3]s
    kubernetes_sd_configs:
    - role: endpointslice
      namespaces: {names: [%[2]s]}
`, strings.Join(addrs("static-%d:9100", 10), ", "), ns, fmt.Sprintf(endpointsJob, ns))
}

// createTargets creates six web pods (kept), two other pods (dropped by the job's relabel rule) and a Service
// with an EndpointSlice of four endpoints.
func createTargets(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns string) {
	t.Helper()
	for i := 0; i < 6; i++ {
		taprocess.CreatePod(ctx, t, kube, ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.2.0.%d", i+1),
			map[string]string{"app": "web"}, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 8080}})
	}
	for i := 0; i < 2; i++ {
		taprocess.CreatePod(ctx, t, kube, ns, fmt.Sprintf("other-%d", i), fmt.Sprintf("10.2.1.%d", i+1),
			map[string]string{"app": "other"}, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 8080}})
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "api-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "api"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for i := 0; i < 4; i++ {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.3.0.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	if _, err := kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func expectedTargets(ns string) map[string][]string {
	return map[string][]string{
		"static":                      addrs("static-%d:9100", 10),
		"kubernetes-pods":             addrs("10.2.0.%d:8080", 7)[1:], // 10.2.0.1 .. 10.2.0.6
		fmt.Sprintf(endpointsJob, ns): addrs("10.3.0.%d:8080", 5)[1:], // 10.3.0.1 .. 10.3.0.4
	}
}

// collectorIP is the pod IP the tests give collector-<n>: 127.0.0.(21+n).
func collectorIP(name string) string {
	var n int
	if _, err := fmt.Sscanf(name, "collector-%d", &n); err != nil {
		panic(name)
	}
	return fmt.Sprintf("127.0.0.%d", 21+n)
}

// checkUnion polls every collector's URL of every job with Prometheus' http_sd client, from the collector's own
// pod IP as a collector does, and returns an error unless each job's union is exactly the expected targets with
// none served twice. A moved target is served to its old owner too until the new owner has fetched it from its
// pod IP (make-before-break handoff), so a change settles after one round of fetches.
func checkUnion(ctx context.Context, t *testing.T, base string, collectors []string, want map[string][]string) error {
	for job, wantAddrs := range want {
		var union []string
		owner := map[string]string{}
		for _, c := range collectors {
			for _, a := range httpSD(ctx, t, taprocess.TargetsURL(base, job, c), collectorIP(c)) {
				if prev, dup := owner[a]; dup {
					return fmt.Errorf("job %s: target %s served to both %s and %s", job, a, prev, c)
				}
				owner[a] = c
				union = append(union, a)
			}
		}
		sort.Strings(union)
		if diff := cmp.Diff(wantAddrs, union); diff != "" {
			return fmt.Errorf("job %s: union of the collectors' shares (-want +got):\n%s", job, diff)
		}
	}
	return nil
}

func TestEveryTargetServedOnceAcrossCollectorChanges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube := kubernetes.NewForConfigOrDie(suite.Config)
	const ns = "ta-allocation"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	collectors := []string{"collector-0", "collector-1", "collector-2"}
	for i, c := range collectors {
		taprocess.CreateCollectorPod(ctx, t, kube, ns, c, fmt.Sprintf("127.0.0.%d", 21+i))
	}
	createTargets(ctx, t, kube, ns)
	base := startTA(t, ns, taConfig(ns))
	want := expectedTargets(ns)

	jobs := get(t, base+"/jobs")
	for job := range want {
		if !strings.Contains(jobs, fmt.Sprintf("%q", job)) {
			t.Errorf("/jobs lacks %q: %s", job, jobs)
		}
	}
	taprocess.Eventually(t, time.Minute, func() error { return checkUnion(ctx, t, base, collectors, want) })

	// Each collector has a share: consistent hashing spreads 20 targets over 3 collectors.
	for _, c := range collectors {
		total := 0
		for job := range want {
			total += len(httpSD(ctx, t, taprocess.TargetsURL(base, job, c), ""))
		}
		if total == 0 {
			t.Errorf("collector %s got no target at all", c)
		}
	}

	// A collector leaves and another joins: the union is again every target exactly once, and the one that left
	// gets nothing.
	if err := kube.CoreV1().Pods(ns).Delete(ctx, "collector-1", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	taprocess.CreateCollectorPod(ctx, t, kube, ns, "collector-3", "127.0.0.24")
	collectors = []string{"collector-0", "collector-2", "collector-3"}
	taprocess.Eventually(t, time.Minute, func() error {
		for job := range want {
			if got := httpSD(ctx, t, taprocess.TargetsURL(base, job, "collector-1"), ""); len(got) > 0 {
				return fmt.Errorf("deleted collector-1 still gets %v of job %s", got, job)
			}
		}
		return checkUnion(ctx, t, base, collectors, want)
	})

	// A new web pod is discovered and served to exactly one collector.
	taprocess.CreatePod(ctx, t, kube, ns, "web-6", "10.2.0.7", map[string]string{"app": "web"},
		[]corev1.ContainerPort{{Name: "metrics", ContainerPort: 8080}})
	want["kubernetes-pods"] = addrs("10.2.0.%d:8080", 8)[1:]
	taprocess.Eventually(t, time.Minute, func() error { return checkUnion(ctx, t, base, collectors, want) })

	// The dropped pods never appear anywhere.
	for _, c := range collectors {
		if got := httpSD(ctx, t, taprocess.TargetsURL(base, "kubernetes-pods", c), ""); slices.ContainsFunc(got, func(a string) bool {
			return strings.HasPrefix(a, "10.2.1.")
		}) {
			t.Errorf("a target dropped by relabel_configs was served to %s: %v", c, got)
		}
	}

	// ... but the explain route finds one by its address and names the rule that dropped it.
	var ans struct {
		Targets []struct {
			Job       string `json:"job"`
			Collector string `json:"collector"`
			Dropped   bool   `json:"dropped"`
			Outcome   string `json:"outcome"`
			Origins   []struct {
				Group string `json:"group"`
			} `json:"origins"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/debug/target?address=10.2.1.1:8080")), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Targets) != 1 || !ans.Targets[0].Dropped || ans.Targets[0].Job != "kubernetes-pods" || ans.Targets[0].Collector != "" ||
		!strings.Contains(ans.Targets[0].Outcome, "relabel_configs[0]") || len(ans.Targets[0].Origins) != 1 || ans.Targets[0].Origins[0].Group == "" {
		t.Errorf("explain of a dropped pod: %+v", ans.Targets)
	}
}
