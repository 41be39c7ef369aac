package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// kubeScenario: P pods in one namespace, discovered by kubernetes SD (role: pod) for two jobs with different
// relabel filters. Pods have label tier a or b and one container port; job "tier-a" keeps tier a, job "port-8080"
// keeps the pods whose port is 8080 (every third pod uses 9090).
type kubeScenario struct {
	c      *cluster
	o      options
	ns     string
	wanted map[string]map[string]bool
	next   int
}

const podNS = "bench-pods"

func newKubeScenario(ctx context.Context, c *cluster, o options) (*kubeScenario, error) {
	s := &kubeScenario{c: c, o: o, ns: podNS, wanted: map[string]map[string]bool{"tier-a": {}, "port-8080": {}}}
	if _, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: podNS}}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				if _, err := s.createPod(ctx, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range o.pods {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	for i := range o.pods {
		s.expect(i, true)
	}
	s.next = o.pods
	return s, nil
}

func podSpec(i int) (name, ip, tier string, port int32) {
	name = "pod-" + strconv.Itoa(i)
	ip = fmt.Sprintf("10.%d.%d.%d", 100+(i>>16)&127, (i>>8)&255, i&255)
	tier = "a"
	if i%2 == 1 {
		tier = "b"
	}
	port = 8080
	if i%3 == 0 {
		port = 9090
	}
	return
}

func (s *kubeScenario) expect(i int, present bool) {
	_, ip, tier, port := podSpec(i)
	addr := ip + ":" + strconv.Itoa(int(port))
	set := func(job string, on bool) {
		if on && present {
			s.wanted[job][addr] = true
		} else {
			delete(s.wanted[job], addr)
		}
	}
	set("tier-a", tier == "a")
	set("port-8080", port == 8080)
}

// createPod creates pod i and marks it Running and Ready, as a kubelet would; it returns the moment of the status
// write, which makes the pod a target.
func (s *kubeScenario) createPod(ctx context.Context, i int) (time.Time, error) {
	name, ip, tier, port := podSpec(i)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns, Labels: map[string]string{"app": "bench", "tier": tier}},
		Spec: corev1.PodSpec{
			NodeName:   "node-" + strconv.Itoa(i%50),
			Containers: []corev1.Container{{Name: "app", Image: "example", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: port}}}},
		},
	}
	created, err := s.c.kube.CoreV1().Pods(s.ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return time.Time{}, err
	}
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}},
	}
	at := time.Now()
	_, err = s.c.kube.CoreV1().Pods(s.ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return at, err
}

func (s *kubeScenario) name() string {
	return fmt.Sprintf("kubernetes SD: %d pods, role pod, two jobs with different relabel filters", s.o.pods)
}

func (s *kubeScenario) config() string {
	return fmt.Sprintf(`  scrape_configs:
  - job_name: tier-a
    kubernetes_sd_configs:
    - role: pod
      namespaces: {names: [%[1]s]}
    relabel_configs:
    - source_labels: [__meta_kubernetes_pod_label_tier]
      regex: a
      action: keep
  - job_name: port-8080
    kubernetes_sd_configs:
    - role: pod
      namespaces: {names: [%[1]s]}
    relabel_configs:
    - source_labels: [__meta_kubernetes_pod_container_port_number]
      regex: "8080"
      action: keep
`, s.ns)
}

func (s *kubeScenario) want() map[string]map[string]bool { return s.wanted }

// replaceOne deletes a pod that both jobs serve and creates a new one that both serve. The deletion is
// immediate (grace period 0): with the default 30 s the pod would stay, terminating, until a kubelet confirmed,
// and there is none.
func (s *kubeScenario) replaceOne(ctx context.Context) (time.Time, error) {
	victim := 2 // tier a, port 8080
	name, _, _, _ := podSpec(victim)
	if err := s.c.kube.CoreV1().Pods(s.ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		return time.Time{}, err
	}
	s.expect(victim, false)
	i := s.next
	for {
		_, _, tier, port := podSpec(i)
		if tier == "a" && port == 8080 {
			break
		}
		i++
	}
	s.next = i + 1
	at, err := s.createPod(ctx, i)
	if err != nil {
		return time.Time{}, err
	}
	s.expect(i, true)
	return at, nil
}
