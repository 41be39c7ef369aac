package handoff_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

const (
	job = "handoff"
	// interval is every collector's http_sd refresh_interval.
	interval = 2 * time.Second
	// margin is what a fetch and its delivery may add to the overlap bound: requests, informer delays and a
	// loaded machine.
	margin = 500 * time.Millisecond
	// initial is the number of collectors before the scale-out; one more joins and leaves again.
	initial = 4
)

// TestHandoffOneTA: one target allocator, collectors joining and leaving.
func TestHandoffOneTA(t *testing.T) { runScenario(t, "handoff-one", 1) }

// TestHandoffTwoTAs: two target allocators on the same config and namespace, each collector alternating
// between them; their answers must agree, or a collector alternating would see its share flap.
func TestHandoffTwoTAs(t *testing.T) { runScenario(t, "handoff-two", 2) }

func targets() []string {
	var out []string
	for x := 0; x < 4; x++ {
		for y := 0; y < 250; y++ {
			out = append(out, fmt.Sprintf("10.1.%d.%d:9100", x, y))
		}
	}
	return out
}

func taConfig(fragment string) string {
	c := fmt.Sprintf(`collector_selector:
  matchlabels:
    app.kubernetes.io/component: opentelemetry-collector
allocation_strategy: consistent-hashing
config:
  scrape_configs:
  - job_name: %s
    static_configs:
    - targets: [%s]
`, job, strings.Join(targets(), ", "))
	if fragment != "" {
		c += strings.TrimRight(fragment, "\n") + "\n"
	}
	return c
}

// collector i (1-based) is pod collector-i at 127.0.0.(10+i): every loopback address is local, so the client
// can bind it and the target allocator sees it as the source.
func podName(i int) string { return fmt.Sprintf("collector-%d", i) }
func podIP(i int) string   { return fmt.Sprintf("127.0.0.%d", 10+i) }

func runScenario(t *testing.T, ns string, nTAs int) {
	set := loadSettings(t)
	t.Logf("%s tas=%d interval=%s seed=%d", set, nTAs, interval, set.seed)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube := kubernetes.NewForConfigOrDie(suite.Config)
	taprocess.CreateNamespace(ctx, t, kube, ns)
	for i := 1; i <= initial; i++ {
		taprocess.CreateCollectorPod(ctx, t, kube, ns, podName(i), podIP(i))
	}
	config := taConfig(set.fragment)
	var tas []string
	for range nTAs {
		tas = append(tas, suite.StartTA(t, ns, config))
	}

	// The random phases and delays come from a seed the log shows; HANDOFF_SEED replays them (timing on a
	// loaded machine still varies).
	rng := rand.New(rand.NewPCG(set.seed, set.seed))
	all := targets()
	rec := newRecorder(all)
	pollers := map[int]*poller{}
	start := func(i int, delay time.Duration) {
		ci := rec.addCollector(podName(i), nTAs)
		if ci != i-1 {
			t.Fatalf("collector %d registered as %d", i, ci)
		}
		pollers[i] = startPoller(t, rec, ci, podIP(i), tas, job, podName(i), interval, delay)
	}
	begin := time.Now()
	var phases []string
	for i := 1; i <= initial; i++ {
		// A random phase, as collectors started at different times have.
		d := randUpTo(rng, interval)
		phases = append(phases, fmt.Sprintf("%s=%.2fs", podName(i), d.Seconds()))
		start(i, d)
	}
	t.Logf("poller phases: %s", strings.Join(phases, " "))
	defer func() {
		t.Logf("collectors:\n%s", rec.collectorReport())
		if t.Failed() {
			t.Logf("deliveries (seconds since the first poller started: targets@allocator):\n%s", rec.timelines(begin))
		}
	}()

	settle := func(what string, live []int) {
		t.Helper()
		taprocess.Eventually(t, 30*time.Second, func() error {
			if err := rec.settled(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		})
		if nTAs > 1 {
			taprocess.Eventually(t, 15*time.Second, func() error { return sameAnswers(ctx, tas, live) })
		}
	}
	settle("initial", []int{1, 2, 3, 4})

	// Scale out: collector 5's pod is created Running but not Ready, its collector starts polling at once (and
	// gets nothing: a pod never ready is no member), and the pod turns Ready after a random part of an interval,
	// as a readiness probe passing would. The move happens then, at a random point of every collector's cycle;
	// without the delay it would follow collector 5's first refresh, and the settling wait before it the last
	// refresh of some other collector, which would bias who polls first. With worst timing the pod turns Ready
	// right after collector 5's first refresh: every old owner refreshes before collector 5 does again.
	rec.beginPhase("scale-out")
	created := time.Now()
	taprocess.CreateStartingCollectorPod(ctx, t, kube, ns, podName(5), podIP(5))
	start(5, 0)
	if set.worst {
		taprocess.Eventually(t, 10*time.Second, func() error {
			if n, _ := rec.deliveries(5 - 1); n == 0 {
				return fmt.Errorf("collector-5 has had no refresh")
			}
			return nil
		})
	} else {
		sleep(ctx, randUpTo(rng, interval)-time.Since(created))
	}
	markReady(ctx, t, kube, ns, podName(5))
	ready := time.Since(created)
	sleep(ctx, 4*interval)
	settle("after scale-out", []int{1, 2, 3, 4, 5})
	out := rec.endPhase()

	// Scale in: the pod is deleted gracefully (it stays, with a deletionTimestamp, as there is no kubelet), its
	// collector goes on polling through a preStop delay of two intervals and a second, stops, and the pod is
	// force-deleted.
	rec.beginPhase("scale-in")
	// At a random point of the collectors' cycles, for the same reason as the readiness delay; with worst timing
	// just before collector 5's refresh, so that it drops its targets before their new owners refresh.
	offset := randUpTo(rng, interval)
	if set.worst {
		_, last := rec.deliveries(5 - 1)
		next := last.Add(interval - 100*time.Millisecond)
		for time.Until(next) < 50*time.Millisecond {
			next = next.Add(interval)
		}
		offset = time.Until(next)
	}
	sleep(ctx, offset)
	_, last := rec.deliveries(5 - 1)
	t.Logf("collector-5 turned ready %.2fs after its pod was created; scale-in began %.2fs after the settled state, %.2fs after collector-5's last refresh",
		ready.Seconds(), offset.Seconds(), time.Since(last).Seconds())
	deleted := time.Now()
	if err := kube.CoreV1().Pods(ns).Delete(ctx, podName(5), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if p, err := kube.CoreV1().Pods(ns).Get(ctx, podName(5), metav1.GetOptions{}); err != nil || p.DeletionTimestamp == nil {
		t.Fatalf("collector-5 is not terminating after a graceful delete: %v %+v", err, p)
	}
	sleep(ctx, 2*interval+time.Second)
	pollers[5].stop()
	if err := kube.CoreV1().Pods(ns).Delete(ctx, podName(5), metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	sleep(ctx, 2*interval)
	settle("after scale-in", []int{1, 2, 3, 4})
	in := rec.endPhase()

	sums := []summary{out.summarize(all), in.summarize(all)}
	t.Logf("scale-out: %.2fs to %.2fs, collector-5 Ready at %.2fs; scale-in: %.2fs to %.2fs, graceful delete at %.2fs (seconds since the first poller started)",
		out.start.Sub(begin).Seconds(), out.end.Sub(begin).Seconds(), (created.Add(ready)).Sub(begin).Seconds(),
		in.start.Sub(begin).Seconds(), in.end.Sub(begin).Seconds(), deleted.Sub(begin).Seconds())
	t.Logf("%s tas=%d, %d targets, interval %s:\n%s", set, nTAs, len(all), interval, table(sums))
	for _, s := range sums {
		t.Log(s.line(set.mode, nTAs, set.timing()))
	}

	// What today's allocator guarantees: a collector joining moves some targets to it (consistent hashing gives
	// the fifth about a fifth), the one leaving gives them all back, and a target that does not move never leaves
	// its owner's list nor enters another's.
	for _, s := range sums {
		if s.moved == 0 {
			t.Errorf("%s: no target moved; the scenario measured nothing", s.phase)
		}
		if s.unmovedGap > 0 || s.unmovedOverlap > 0 {
			t.Errorf("%s: a target that did not move was in no live list for %s or in two for %s", s.phase, s.unmovedGap, s.unmovedOverlap)
		}
	}
	if n := countMoved(out.before, in.after); n != 0 {
		t.Errorf("after scale-out and scale-in, %d targets have another owner than before", n)
	}

	if !set.expectNoGap {
		return
	}
	// Make-before-break: the new owner has a moved target before the old owner drops it. The old owner drops it
	// at its first refresh after the allocator saw the new owner fetch, which is within one interval; with
	// several allocators that refresh may reach one that has not seen the fetch yet, which the next one has,
	// so the bound is one interval per allocator.
	bound := time.Duration(nTAs)*interval + margin
	for _, s := range sums {
		if s.maxGap > 0 {
			t.Errorf("%s: %d of %d moved targets were in no live collector's list, the longest (%s) for %.3fs; make-before-break allows none",
				s.phase, s.gapped, s.moved, s.worst, s.maxGap.Seconds())
		}
		if s.maxOverlap > bound {
			t.Errorf("%s: a moved target was in two lists for %.3fs, more than %s", s.phase, s.maxOverlap.Seconds(), bound)
		}
	}
}

// markReady turns a starting pod Ready.
func markReady(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name string) {
	t.Helper()
	pod, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := kube.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func countMoved(before, after []int) int {
	n := 0
	for i := range before {
		if before[i] != after[i] {
			n++
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// sameAnswers fetches every live collector's list from every allocator, with a plain GET from an address that is
// no collector's (so it counts as nobody's fetch), and requires the bytes to be equal.
func sameAnswers(ctx context.Context, tas []string, live []int) error {
	for _, i := range live {
		var first []byte
		for k, ta := range tas {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, taprocess.TargetsURL(ta, job, podName(i)), nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s for %s", ta, resp.Status, podName(i))
			}
			if k == 0 {
				first = body
			} else if !bytes.Equal(first, body) {
				return fmt.Errorf("%s: %s and %s answer differently (%d and %d bytes)", podName(i), tas[0], ta, len(first), len(body))
			}
		}
	}
	return nil
}

// randUpTo returns a duration in [0, d).
func randUpTo(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(d)))
}
