package targetallocator_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	commonconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery"
	httpsd "github.com/prometheus/prometheus/discovery/http"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// httpSD fetches url with Prometheus' own http_sd client, optionally from a given local IP, and returns the
// target addresses it yields, sorted.
func httpSD(ctx context.Context, t *testing.T, rawURL, localIP string) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := &httpsd.SDConfig{
		URL:              rawURL,
		RefreshInterval:  model.Duration(30 * time.Second),
		HTTPClientConfig: commonconfig.DefaultHTTPClientConfig,
	}
	opts := discovery.DiscovererOptions{Metrics: cfg.NewDiscovererMetrics(reg, discovery.NewRefreshMetrics(reg))}
	if localIP != "" {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 5 * time.Second}
		opts.HTTPClientOptions = []commonconfig.HTTPClientOption{commonconfig.WithDialContextFunc(dialer.DialContext)}
	}
	d, err := httpsd.NewDiscovery(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := d.Refresh(ctx)
	if err != nil {
		t.Fatalf("http_sd %s: %v", rawURL, err)
	}
	var addrs []string
	for _, g := range groups {
		for _, tgt := range g.Targets {
			addrs = append(addrs, string(tgt[model.AddressLabel]))
		}
	}
	sort.Strings(addrs)
	return addrs
}

func targetsURL(base, job, collectorID string) string {
	return base + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=" + url.QueryEscape(collectorID)
}

func get(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// createCollectorPod creates a collector pod object and marks it Running and Ready with the given IP, as a
// kubelet would.
func createCollectorPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string) {
	t.Helper()
	createPod(ctx, t, kube, ns, name, ip, map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"}, nil)
}

func createPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string, labels map[string]string, ports []corev1.ContainerPort) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "main", Image: "example", Ports: ports}},
		},
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
		time.Sleep(250 * time.Millisecond)
	}
}

func addrs(format string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	sort.Strings(out)
	return out
}
