package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const collectorNS = "bench"

var collectorLabels = map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"}

type cluster struct {
	kube kubernetes.Interface
	// collectors are the names of the Ready collector pods.
	collectors []string
}

func newCluster(ctx context.Context, cfg *rest.Config) (*cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 2000, 4000
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: collectorNS}}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	return &cluster{kube: kube}, nil
}

func (c *cluster) addCollector(ctx context.Context, i int) error {
	name := fmt.Sprintf("collector-%d", i)
	if err := createReadyPod(ctx, c.kube, collectorNS, name, collectorIP(name), collectorLabels); err != nil {
		return err
	}
	c.collectors = append(c.collectors, name)
	return nil
}

// collectorIP is collector-<i>'s pod IP: a loopback address, so the bench's requests for that collector can come
// from it, as a collector's do. Only such a fetch ends the target allocator's handoff of moved targets; asked
// from elsewhere, an old owner keeps moved targets until the hold's deadline.
func collectorIP(name string) string {
	var i int
	if _, err := fmt.Sscanf(name, "collector-%d", &i); err != nil {
		return ""
	}
	return fmt.Sprintf("127.1.%d.%d", i/250, i%250+1)
}

// createReadyPod creates a pod and marks it Running and Ready, as a kubelet would (the local control plane has none).
func createReadyPod(ctx context.Context, kube kubernetes.Interface, ns, name, ip string, labels map[string]string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "main", Image: "example", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}},
		},
	}
	created, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}},
	}
	_, err = kube.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}
