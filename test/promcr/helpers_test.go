package promcr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// collectorName is the OpenTelemetryCollector the TAs of this suite report Events on.
const collectorName = "main"

// startTA runs the target allocator for namespace, reporting Events on collectorName.
func startTA(t *testing.T, namespace, config string, extraEnv ...string) string {
	t.Helper()
	return suite.StartTA(t, namespace, config, append([]string{"OTELCOL_COLLECTOR_NAME=" + collectorName}, extraEnv...)...)
}

func freeAddr(t *testing.T) string { return taprocess.FreeAddr(t) }

func get(client *http.Client, rawURL string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(rawURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", rawURL, resp.Status, body)
	}
	return string(body), nil
}

// jobNames returns the keys of a JSON object served at rawURL (/jobs, /scrape_configs), sorted.
func jobNames(client *http.Client, rawURL string) ([]string, error) {
	body, err := get(client, rawURL)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", rawURL, err, body)
	}
	names := []string{}
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

// expectJobs checks that /jobs and /scrape_configs both list exactly want.
func expectJobs(base string, want ...string) error {
	if want == nil {
		want = []string{}
	}
	for _, path := range []string{"/jobs", "/scrape_configs"} {
		got, err := jobNames(nil, base+path)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s lists %v, want %v", path, got, want)
		}
	}
	return nil
}

// servedTargets returns the union of the addresses the collectors get for job, and fails on a target served
// to two collectors.
func servedTargets(base, job string, collectors []string) ([]string, error) {
	var union []string
	owner := map[string]string{}
	for _, c := range collectors {
		body, err := get(nil, base+"/jobs/"+url.QueryEscape(job)+"/targets?collector_id="+url.QueryEscape(c))
		if err != nil {
			return nil, err
		}
		var groups []struct {
			Targets []string `json:"targets"`
		}
		if err := json.Unmarshal([]byte(body), &groups); err != nil {
			return nil, fmt.Errorf("%w: %s", err, body)
		}
		for _, g := range groups {
			for _, a := range g.Targets {
				if prev, dup := owner[a]; dup {
					return nil, fmt.Errorf("job %s: target %s served to both %s and %s", job, a, prev, c)
				}
				owner[a] = c
				union = append(union, a)
			}
		}
	}
	sort.Strings(union)
	return union, nil
}

// eventually retries check until it returns nil or the timeout passes, then fails with its last error.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func createNamespace(ctx context.Context, t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createCollectorPod creates a collector pod and marks it Running and Ready, as a kubelet would.
func createCollectorPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"}},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "otc-container", Image: "example"}}},
	}
	created, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
	}
	if _, err := kube.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
