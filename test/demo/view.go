package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// allocation is what the collectors of one OpenTelemetryCollector receive from its target allocator, fetched the
// way a collector fetches it: one http_sd request per job and collector pod.
type allocation struct {
	collectors []string                       // pod names, sorted
	jobs       []string                       // job names, sorted
	targets    map[string]map[string][]string // job -> collector -> target addresses
}

// servedOnce reports whether every target of every job went to exactly one collector, and how many there are.
func (a *allocation) servedOnce() (bool, int) {
	ok, total := true, 0
	for _, byCollector := range a.targets {
		seen := map[string]int{}
		for _, addrs := range byCollector {
			for _, addr := range addrs {
				seen[addr]++
			}
		}
		for _, n := range seen {
			total++
			if n != 1 {
				ok = false
			}
		}
	}
	return ok, total
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

func getJSON(ctx context.Context, rawURL string, into any) error {
	return getJSONFrom(ctx, rawURL, "", into)
}

// clientsByIP holds one client per source address, so connections are reused per stand-in pod.
var clientsByIP sync.Map // string -> *http.Client

// getJSONFrom is getJSON from the source address localIP ("" for any): a collector's http_sd request comes from
// its pod IP, and only such a fetch tells the target allocator that the collector has taken a moved target over
// (make-before-break handoff); asked from elsewhere, the old owner keeps moved targets until a deadline.
func getJSONFrom(ctx context.Context, rawURL, localIP string, into any) error {
	client := httpClient
	if localIP != "" {
		c, ok := clientsByIP.Load(localIP)
		if !ok {
			dialer := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
			c, _ = clientsByIP.LoadOrStore(localIP, &http.Client{Timeout: 5 * time.Second,
				Transport: &http.Transport{DialContext: dialer.DialContext}})
		}
		client = c.(*http.Client)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", rawURL, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	return nil
}

// fetchAllocation asks the target allocator at taURL for each collector pod's share of each job.
func fetchAllocation(ctx context.Context, kube kubernetes.Interface, namespace, collectorName, taURL string) (*allocation, error) {
	pods, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/component=opentelemetry-collector,app.kubernetes.io/instance=" + namespace + "." + collectorName,
	})
	if err != nil {
		return nil, err
	}
	a := &allocation{targets: map[string]map[string][]string{}}
	podIP := map[string]string{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			a.collectors = append(a.collectors, p.Name)
			podIP[p.Name] = p.Status.PodIP
		}
	}
	sort.Strings(a.collectors)

	var jobs map[string]json.RawMessage
	if err := getJSON(ctx, taURL+"/jobs", &jobs); err != nil {
		return nil, err
	}
	for job := range jobs {
		a.jobs = append(a.jobs, job)
	}
	sort.Strings(a.jobs)
	for _, job := range a.jobs {
		a.targets[job] = map[string][]string{}
		for _, collector := range a.collectors {
			var groups []struct {
				Targets []string `json:"targets"`
			}
			u := taURL + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=" + url.QueryEscape(collector)
			if err := getJSONFrom(ctx, u, podIP[collector], &groups); err != nil {
				return nil, err
			}
			for _, g := range groups {
				a.targets[job][collector] = append(a.targets[job][collector], g.Targets...)
			}
			sort.Strings(a.targets[job][collector])
		}
	}
	return a, nil
}

// render prints the allocation as a table: one block per job, one line per collector with its targets.
func (a *allocation) render(w io.Writer, title string) {
	fmt.Fprintf(w, "\n%s\n", title)
	for _, job := range a.jobs {
		fmt.Fprintf(w, "  job %q\n", job)
		width := 0
		for _, c := range a.collectors {
			width = max(width, len(c))
		}
		for _, c := range a.collectors {
			addrs := a.targets[job][c]
			list := strings.Join(addrs, "  ")
			if list == "" {
				list = "(none)"
			}
			fmt.Fprintf(w, "    %-*s  %d  %s\n", width, c, len(addrs), list)
		}
	}
	ok, total := a.servedOnce()
	verdict := "every target goes to exactly one collector"
	if !ok {
		verdict = "SOME TARGET GOES TO MORE THAN ONE COLLECTOR"
	}
	fmt.Fprintf(w, "  %d collectors, %d targets: %s\n", len(a.collectors), total, verdict)
}
