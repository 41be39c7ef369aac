package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// demoNode is the node name the stand-in pods are "scheduled" on.
const demoNode = "demo-node"

// podStandIn plays the StatefulSet controller and the kubelet, which the local control plane lacks: for every
// collector StatefulSet the operator created it keeps pods <name>-0..<replicas-1> with the template's labels,
// marked Running and Ready with a distinct loopback pod IP, and deletes pods beyond the replica count.
type podStandIn struct {
	kube      kubernetes.Interface
	namespace string
	ips       map[string]string // pod name -> 127.0.0.x, stable while the pod exists
}

func (s *podStandIn) run(ctx context.Context) {
	for {
		if err := s.sync(ctx); err != nil && ctx.Err() == nil {
			fmt.Println("pod stand-in:", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (s *podStandIn) sync(ctx context.Context) error {
	sets, err := s.kube.AppsV1().StatefulSets(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/managed-by=opentelemetry-operator",
	})
	if err != nil {
		return err
	}
	for i := range sets.Items {
		if err := s.syncSet(ctx, &sets.Items[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *podStandIn) syncSet(ctx context.Context, set *appsv1.StatefulSet) error {
	replicas := 1
	if set.Spec.Replicas != nil {
		replicas = int(*set.Spec.Replicas)
	}
	selector := metav1.FormatLabelSelector(set.Spec.Selector)
	pods, err := s.kube.CoreV1().Pods(s.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}
	existing := map[string]*corev1.Pod{}
	for i := range pods.Items {
		existing[pods.Items[i].Name] = &pods.Items[i]
	}
	want := map[string]bool{}
	for ordinal := 0; ordinal < replicas; ordinal++ {
		name := fmt.Sprintf("%s-%d", set.Name, ordinal)
		want[name] = true
		if _, ok := existing[name]; ok {
			continue
		}
		if err := s.createReadyPod(ctx, set, name); err != nil {
			return err
		}
	}
	for name := range existing {
		if want[name] {
			continue
		}
		err := s.kube.CoreV1().Pods(s.namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		delete(s.ips, name)
	}
	return nil
}

func (s *podStandIn) createReadyPod(ctx context.Context, set *appsv1.StatefulSet, name string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   s.namespace,
			Labels:      set.Spec.Template.Labels,
			Annotations: set.Spec.Template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "StatefulSet", Name: set.Name, UID: set.UID,
			}},
		},
		Spec: *set.Spec.Template.Spec.DeepCopy(),
	}
	pod.Spec.NodeName = demoNode
	created, err := s.kube.CoreV1().Pods(s.namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create stand-in pod %s: %w", name, err)
	}
	ip := s.nextIP()
	s.ips[name] = ip
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		HostIP:    "127.0.0.1",
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	if _, err := s.kube.CoreV1().Pods(s.namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("mark stand-in pod %s ready: %w", name, err)
	}
	return nil
}

// nextIP returns the lowest 127.0.0.x (x >= 10) that no current pod uses, so the TA can tell pods apart by the
// source address of their requests.
func (s *podStandIn) nextIP() string {
	used := map[string]bool{}
	for _, ip := range s.ips {
		used[ip] = true
	}
	for x := 10; x < 255; x++ {
		ip := fmt.Sprintf("127.0.0.%d", x)
		if !used[ip] {
			return ip
		}
	}
	return "127.0.0.254"
}
