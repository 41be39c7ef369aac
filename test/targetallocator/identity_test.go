package targetallocator_test

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	"k8s.io/client-go/kubernetes"
)

// A current collector sends the seed's collector_id=$POD_NAME literally. Each collector pod, asking from its own
// pod IP, still gets exactly its own share; a caller that is no collector gets [] and is shown to the user.
func TestUnexpandedCollectorIDServedBySourceIP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube := kubernetes.NewForConfigOrDie(suite.Config)
	const ns = "ta-identity"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	collectors := map[string]string{"collector-0": "127.0.0.31", "collector-1": "127.0.0.32", "collector-2": "127.0.0.33"}
	var names []string
	for name, ip := range collectors {
		taprocess.CreateCollectorPod(ctx, t, kube, ns, name, ip)
		names = append(names, name)
	}
	sort.Strings(names)
	createTargets(ctx, t, kube, ns)
	base := startTA(t, ns, taConfig(ns))
	want := expectedTargets(ns)
	taprocess.Eventually(t, time.Minute, func() error { return checkUnion(ctx, t, base, names, want) })

	for job, wantAddrs := range want {
		var union []string
		for _, name := range names {
			byName := httpSD(ctx, t, taprocess.TargetsURL(base, job, name), "")
			byIP := httpSD(ctx, t, taprocess.TargetsURL(base, job, "$POD_NAME"), collectors[name])
			if diff := cmp.Diff(byName, byIP); diff != "" {
				t.Errorf("job %s: %s asking as $POD_NAME from %s got another share (-by name +by IP):\n%s", job, name, collectors[name], diff)
			}
			union = append(union, byIP...)
		}
		sort.Strings(union)
		if diff := cmp.Diff(wantAddrs, union); diff != "" {
			t.Errorf("job %s: union of the shares fetched as $POD_NAME (-want +got):\n%s", job, diff)
		}
	}

	// A caller whose address is no collector pod: nothing, and visible on the debug views and in the metric.
	const stranger = "127.0.0.99"
	if got := httpSD(ctx, t, taprocess.TargetsURL(base, "static", "$POD_NAME"), stranger); len(got) != 0 {
		t.Errorf("a caller that is no collector got %v", got)
	}
	if page := get(t, base+"/debug/unknown-collectors"); !strings.Contains(page, stranger) {
		t.Errorf("/debug/unknown-collectors does not list %s: %s", stranger, page)
	}
	if page := get(t, base+"/"); !strings.Contains(page, stranger) {
		t.Errorf("the debug page does not list %s", stranger)
	}
	metrics := get(t, base+"/metrics")
	unmatched := regexp.MustCompile(`(?m)^targetallocator_collector_id_unmatched_total\{[^}]*\} (\S+)$`).FindAllStringSubmatch(metrics, -1)
	total := 0.0
	for _, m := range unmatched {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		total += v
	}
	if total < 1 {
		t.Errorf("unmatched collector ids not counted; metric lines: %v", unmatched)
	}
	if !strings.Contains(metrics, "targetallocator_collector_id_fallbacks_total") {
		t.Error("fallbacks by source IP not counted")
	}
}
