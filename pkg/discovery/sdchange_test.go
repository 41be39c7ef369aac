package discovery

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// When a job's service discovery changes, the manager restarts its discoverers and delivers the job empty until
// they report. The job keeps serving its last targets meanwhile, for at most the hold time.
func TestServiceDiscoveryChangeKeepsTargetsUntilTheNewDiscoverersReport(t *testing.T) {
	const before = `
scrape_configs:
- job_name: web
  static_configs:
  - targets: ['a:1', 'b:1']
`
	const after = `
scrape_configs:
- job_name: web
  static_configs:
  - targets: ['a:1', 'c:1']
`
	now := time.Unix(1000, 0)
	p := newTestProcessor(t, before)
	p.now = func() time.Time { return now }
	p.hold = 30 * time.Second
	first := map[string][]*targetgroup.Group{"web": {group("0", nil, ls("__address__", "a:1"), ls("__address__", "b:1"))}}
	if chs := p.Process(first); len(views(t, chs)) != 1 {
		t.Fatalf("first snapshot: %+v", views(t, chs))
	}

	if _, err := p.SetJobs(scrapeConfigs(t, after)); err != nil {
		t.Fatal(err)
	}
	empty := map[string][]*targetgroup.Group{"web": {}}
	if chs := p.Process(empty); len(chs) != 0 {
		t.Errorf("the restarted job's empty delivery removed targets: %+v", views(t, chs))
	}

	// The new discoverers report: the change is applied as usual.
	second := map[string][]*targetgroup.Group{"web": {group("0", nil, ls("__address__", "a:1"), ls("__address__", "c:1"))}}
	got := views(t, p.Process(second))
	if len(got) != 1 || len(got[0].Upsert) != 1 || len(got[0].Remove) != 1 {
		t.Errorf("want c:1 in and b:1 out, got %+v", got)
	}

	// Once settled, an empty delivery empties the job at once.
	if got := views(t, p.Process(empty)); len(got) != 1 || len(got[0].Remove) != 2 {
		t.Errorf("settled job emptied: want 2 removals, got %+v", got)
	}
}

func TestServiceDiscoveryChangeHoldIsBounded(t *testing.T) {
	const before = "scrape_configs:\n- job_name: web\n  static_configs:\n  - targets: ['a:1']\n"
	const after = "scrape_configs:\n- job_name: web\n  static_configs:\n  - targets: ['z:1']\n"
	now := time.Unix(1000, 0)
	p := newTestProcessor(t, before)
	p.now = func() time.Time { return now }
	p.hold = 30 * time.Second
	p.Process(map[string][]*targetgroup.Group{"web": {group("0", nil, ls("__address__", "a:1"))}})
	if _, err := p.SetJobs(scrapeConfigs(t, after)); err != nil {
		t.Fatal(err)
	}
	empty := map[string][]*targetgroup.Group{"web": {}}
	if chs := p.Process(empty); len(chs) != 0 {
		t.Fatalf("emptied within the hold: %+v", views(t, chs))
	}
	now = now.Add(31 * time.Second)
	if got := views(t, p.Process(empty)); len(got) != 1 || len(got[0].Remove) != 1 {
		t.Errorf("after the hold the job must empty: got %+v", got)
	}
}
