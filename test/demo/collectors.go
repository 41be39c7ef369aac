package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scrapeInterval is the local example's scrape_interval; the sink's windows are counted in it.
const scrapeInterval = 5 * time.Second

// window is how far back "a collector scrapes a target" looks: two scrapes and a margin for the exporter's batching.
const window = 2*scrapeInterval + 2*time.Second

// settleTimeout bounds the wait for the collectors to follow a new allocation. The operator writes the seed's
// http_sd_configs with no refresh_interval, so each collector re-reads its share at Prometheus' default of 60s.
const settleTimeout = 60*time.Second + 2*window + 30*time.Second

// collectorFleet runs one real collector process per stand-in pod of one OpenTelemetryCollector, as the kubelet
// would run its container: the config the operator wrote, POD_NAME set to the pod's name.
type collectorFleet struct {
	d         *demo
	bin       string
	name      string // the OpenTelemetryCollector
	config    string // collector.yaml as the operator wrote it
	taService string // the TA Service's base URL in that config, which has no DNS name here
	taAddr    string // host:port of the local TA process
	running   map[string]*collectorRun
}

type collectorRun struct {
	pod   string
	proc  *process
	relay *relay
}

func (d *demo) newCollectorFleet(ctx context.Context, bin, name string) (*collectorFleet, error) {
	config, err := d.waitConfigMap(ctx, name+"-collector", "collector.yaml")
	if err != nil {
		return nil, err
	}
	f := &collectorFleet{
		d: d, bin: bin, name: name, config: config,
		taService: "http://" + name + "-targetallocator:80",
		taAddr:    strings.TrimPrefix(d.taURLs[name], "http://"),
		running:   map[string]*collectorRun{},
	}
	if !strings.Contains(config, f.taService) {
		return nil, fmt.Errorf("the collector config of %s does not name the TA Service %s", name, f.taService)
	}
	fmt.Fprintf(d.out, "\n== real collectors for %s: one %s process per stand-in pod, with the config the operator wrote (ConfigMap %s-collector) and POD_NAME=<pod>\n",
		name, bin, name)
	fmt.Fprintf(d.out, "   the one change to that config: the TA Service %s, which has no DNS name here, is mapped to the local TA %s\n", f.taService, f.taAddr)
	fmt.Fprintf(d.out, "   through a relay per pod that connects from the pod's IP, as the pod's own connection through the Service would\n")
	fmt.Fprintf(d.out, "   (the written collector_id=$POD_NAME reaches the TA unexpanded, and the TA then knows the collector by that address);\n")
	fmt.Fprintf(d.out, "   they export to the demo's OTLP/HTTP sink %s, which counts samples per collector and target\n", sinkAddr)
	return f, nil
}

// sync starts a collector for every Running pod that has none and stops those whose pod is gone.
func (f *collectorFleet) sync(ctx context.Context) error {
	pods, err := f.d.kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/component=opentelemetry-collector,app.kubernetes.io/instance=" + namespace + "." + f.name,
	})
	if err != nil {
		return err
	}
	want := map[string]string{} // pod -> IP
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			want[p.Name] = p.Status.PodIP
		}
	}
	for _, pod := range slices.Sorted(maps.Keys(f.running)) {
		if _, ok := want[pod]; !ok {
			f.running[pod].stop()
			delete(f.running, pod)
			fmt.Fprintf(f.d.out, "   stopped collector %s (its pod is gone)\n", pod)
		}
	}
	for _, pod := range slices.Sorted(maps.Keys(want)) {
		if _, ok := f.running[pod]; ok {
			continue
		}
		if err := f.start(pod, want[pod]); err != nil {
			return err
		}
	}
	return nil
}

func (f *collectorFleet) start(pod, podIP string) error {
	r, err := startRelay(f.taAddr, podIP)
	if err != nil {
		return err
	}
	config := strings.ReplaceAll(f.config, f.taService, "http://"+r.addr)
	path := filepath.Join(f.d.o.workDir, pod+"-collector.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		r.close()
		return err
	}
	p, err := startProcess("collector "+pod, f.bin, filepath.Join(f.d.o.workDir, pod+"-collector.log"),
		[]string{"POD_NAME=" + pod}, "--config="+path)
	if err != nil {
		r.close()
		return err
	}
	f.running[pod] = &collectorRun{pod: pod, proc: p, relay: r}
	fmt.Fprintf(f.d.out, "   started collector %s (POD_NAME=%s, TA %s -> relay %s from %s, config %s, log %s)\n",
		pod, pod, f.taService, r.addr, podIP, path, p.log)
	return nil
}

func (c *collectorRun) stop() {
	c.proc.stop()
	c.relay.close()
}

func (f *collectorFleet) stopAll() {
	for _, pod := range slices.Sorted(maps.Keys(f.running)) {
		f.running[pod].stop()
	}
	f.running = map[string]*collectorRun{}
}

// exited names a collector that died, with its log.
func (f *collectorFleet) exited() error {
	for _, pod := range slices.Sorted(maps.Keys(f.running)) {
		if err := f.running[pod].proc.exited(); err != nil {
			return err
		}
	}
	return nil
}

// verify waits until the collectors scrape what the allocation a gives them, then counts the samples of one more
// window and checks them: every target of a scraped by exactly one collector, the one the target allocator chose,
// and nothing else scraped. It prints what each collector scraped.
func (f *collectorFleet) verify(ctx context.Context, s *sink, a *allocation) error {
	want := map[scrapedTarget]string{}
	for job, byCollector := range a.targets {
		for c, addrs := range byCollector {
			for _, addr := range addrs {
				want[scrapedTarget{job, addr}] = c
			}
		}
	}
	start := time.Now()
	for {
		if err := f.exited(); err != nil {
			return err
		}
		seen := map[string]map[scrapedTarget]int{}
		for c, targets := range s.recent(window) {
			seen[c] = map[scrapedTarget]int{}
			for t := range targets {
				seen[c][t] = 1
			}
		}
		problems := compareScrapes(want, seen)
		if len(problems) == 0 {
			break
		}
		if time.Since(start) > settleTimeout {
			return fmt.Errorf("the collectors of %s did not settle on the allocation within %s: %s", f.name, settleTimeout, strings.Join(problems, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	settled := time.Since(start).Round(time.Second)
	s.takeSamples()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(window):
	}
	samples := s.takeSamples()
	f.render(a, samples, window, settled)
	if problems := compareScrapes(want, samples); len(problems) > 0 {
		return fmt.Errorf("what the collectors of %s scraped is not the allocation: %s", f.name, strings.Join(problems, "; "))
	}
	return nil
}

// compareScrapes lists how the samples seen (collector -> target -> samples) differ from scraping every wanted
// target by exactly its collector: targets scraped by nobody, by more than one collector, by another collector than
// the allocation's, and targets that are no target of the allocation.
func compareScrapes(want map[scrapedTarget]string, seen map[string]map[scrapedTarget]int) []string {
	by := map[scrapedTarget][]string{}
	for c, targets := range seen {
		for t, n := range targets {
			if n > 0 {
				by[t] = append(by[t], c)
			}
		}
	}
	var problems []string
	for t, collectors := range by {
		sort.Strings(collectors)
		switch owner, ok := want[t]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s/%s, no target of the allocation, scraped by %v", t.job, t.instance, collectors))
		case len(collectors) > 1:
			problems = append(problems, fmt.Sprintf("%s/%s scraped by %d collectors %v", t.job, t.instance, len(collectors), collectors))
		case collectors[0] != owner:
			problems = append(problems, fmt.Sprintf("%s/%s scraped by %s, allocated to %s", t.job, t.instance, collectors[0], owner))
		}
	}
	for t := range want {
		if len(by[t]) == 0 {
			problems = append(problems, fmt.Sprintf("%s/%s scraped by no collector", t.job, t.instance))
		}
	}
	sort.Strings(problems)
	return problems
}

// render prints, per collector pod, the targets it sent samples of and how many, in the window just counted.
func (f *collectorFleet) render(a *allocation, samples map[string]map[scrapedTarget]int, window, settled time.Duration) {
	out := f.d.out
	fmt.Fprintf(out, "\n== %s: what the real collectors scraped (samples their exporters sent to the sink in %s; settled after %s)\n", f.name, window, settled)
	names := map[string]bool{}
	for _, c := range a.collectors {
		names[c] = true
	}
	for c := range samples {
		names[c] = true
	}
	width := 0
	for c := range names {
		width = max(width, len(c))
	}
	byTarget := map[scrapedTarget]int{}
	for _, c := range slices.Sorted(maps.Keys(names)) {
		var list []string
		total := 0
		for t, n := range samples[c] {
			list = append(list, t.job+"/"+t.instance)
			total += n
			byTarget[t]++
		}
		sort.Strings(list)
		targets := strings.Join(list, "  ")
		if targets == "" {
			targets = "(none)"
		}
		fmt.Fprintf(out, "    %-*s  %4d samples  %d targets  %s\n", width, c, total, len(list), targets)
	}
	once := true
	for _, n := range byTarget {
		once = once && n == 1
	}
	verdict := "every target scraped by exactly one collector"
	if !once {
		verdict = "SOME TARGET SCRAPED BY MORE THAN ONE COLLECTOR"
	}
	fmt.Fprintf(out, "  %d collectors scraped %d targets: %s\n", len(a.collectors), len(byTarget), verdict)
}

// relay forwards TCP connections to the TA, dialling from a pod's IP: in a cluster the TA sees a collector's
// requests come from its pod IP, and it places a collector whose collector_id arrives as the unexpanded $POD_NAME
// by that address. A local process would otherwise connect from 127.0.0.1, which is no pod's.
type relay struct {
	addr     string
	listener net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

func startRelay(target, fromIP string) (*relay, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{addr: l.Addr().String(), listener: l, conns: map[net.Conn]bool{}}
	dialer := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(fromIP)}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := dialer.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			r.track(in, out)
			r.wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer r.wg.Done()
				_, _ = io.Copy(dst, src)
				// One side ended: end both, so the other copy returns too.
				r.untrack(dst, src)
			}
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return r, nil
}

func (r *relay) track(conns ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range conns {
		r.conns[c] = true
	}
}

func (r *relay) untrack(conns ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
		delete(r.conns, c)
	}
}

func (r *relay) close() {
	_ = r.listener.Close()
	r.mu.Lock()
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
