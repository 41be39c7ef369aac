package discovery

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// feedSD is an SD mechanism the test drives: its discoverer sends what the test puts into feed. Two feedSDs with
// different names are different configurations.
type feedSD struct {
	name string
	feed chan []*targetgroup.Group
}

func newFeed(name string) *feedSD { return &feedSD{name: name, feed: make(chan []*targetgroup.Group)} }

func (c *feedSD) Name() string { return "feed" }
func (c *feedSD) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return c, nil
}
func (c *feedSD) NewDiscovererMetrics(prometheus.Registerer, discovery.RefreshMetricsInstantiator) discovery.DiscovererMetrics {
	return &discovery.NoopDiscovererMetrics{}
}
func (c *feedSD) Run(ctx context.Context, up chan<- []*targetgroup.Group) {
	for {
		select {
		case <-ctx.Done():
			return
		case tgs := <-c.feed:
			select {
			case up <- tgs:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (c *feedSD) send(t *testing.T, tgs ...*targetgroup.Group) {
	t.Helper()
	select {
	case c.feed <- tgs:
	case <-time.After(5 * time.Second):
		t.Fatalf("discoverer %s is not running", c.name)
	}
}

// withSD returns the scrape configs of yml with extra SD configs added to the first job.
func withSD(t *testing.T, yml string, extra ...discovery.Config) []*config.ScrapeConfig {
	cfgs := scrapeConfigs(t, yml)
	cfgs[0].ServiceDiscoveryConfigs = append(cfgs[0].ServiceDiscoveryConfigs, extra...)
	return cfgs
}

// stays fails the test if cond turns false within d.
func stays(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if !cond() {
			t.Fatalf("%s no longer holds", what)
		}
	}
}

const staticWeb = "scrape_configs:\n- job_name: web\n  static_configs:\n  - targets: ['a:1']\n"

// A job whose new service discovery delivers nothing keeps its last targets only until the hold's deadline, with
// no further event from discovery to trigger the end.
func TestHoldExpiresOnItsOwn(t *testing.T) {
	d, rec := startDiscovery(t, 500*time.Millisecond)
	if err := d.ApplyConfig(scrapeConfigs(t, staticWeb)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a:1 served", func() bool { return rec.addresses("web")["a:1"] })
	silent := newFeed("silent")
	if err := d.ApplyConfig(withSD(t, "scrape_configs:\n- job_name: web\n", silent)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stays(t, "a:1 served during the hold", 300*time.Millisecond, func() bool { return rec.addresses("web")["a:1"] })
	waitFor(t, "a:1 gone after the hold", func() bool { return !rec.addresses("web")["a:1"] })
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("the hold ended %v after reconfiguration, want about 500ms", waited)
	}
}

// A job with one changed and one unchanged provider keeps the changed provider's targets until its replacement
// reports, although the unchanged provider keeps delivering.
func TestHoldIsPerProvider(t *testing.T) {
	d, rec := startDiscovery(t, time.Hour)
	keep, c1 := newFeed("keep"), newFeed("c1")
	if err := d.ApplyConfig(withSD(t, staticWeb, keep, c1)); err != nil {
		t.Fatal(err)
	}
	keep.send(t, group("k", nil, ls("__address__", "k:1")))
	c1.send(t, group("c1", nil, ls("__address__", "c1:1")))
	waitFor(t, "a:1, k:1 and c1:1 served", func() bool { got := rec.addresses("web"); return got["a:1"] && got["k:1"] && got["c1:1"] })

	c2 := newFeed("c2")
	if err := d.ApplyConfig(withSD(t, staticWeb, keep, c2)); err != nil {
		t.Fatal(err)
	}
	// The unchanged provider keeps delivering; that is no news about the replaced one.
	keep.send(t, group("k2", nil, ls("__address__", "k:2")))
	waitFor(t, "k:2 served", func() bool { return rec.addresses("web")["k:2"] })
	stays(t, "c1:1 served while its replacement has not reported", 500*time.Millisecond, func() bool {
		got := rec.addresses("web")
		return got["a:1"] && got["k:1"] && got["c1:1"]
	})
	c2.send(t, group("c2", nil, ls("__address__", "c2:1")))
	waitFor(t, "c2:1 in, c1:1 out, the rest kept", func() bool {
		got := rec.addresses("web")
		return got["a:1"] && got["k:1"] && got["k:2"] && got["c2:1"] && !got["c1:1"]
	})
}

// An update of a replaced provider that arrives after the reconfiguration (it was under way) neither changes the
// targets nor ends the hold.
func TestHoldIgnoresUpdatesOlderThanTheConfiguration(t *testing.T) {
	d, rec := startDiscovery(t, time.Hour)
	c1 := newFeed("c1")
	if err := d.ApplyConfig(withSD(t, "scrape_configs:\n- job_name: web\n", c1)); err != nil {
		t.Fatal(err)
	}
	c1.send(t, group("g", nil, ls("__address__", "old:1")))
	waitFor(t, "old:1 served", func() bool { return rec.addresses("web")["old:1"] })
	d.mu.Lock()
	replaced := d.providers[0]
	d.mu.Unlock()

	c2 := newFeed("c2")
	if err := d.ApplyConfig(withSD(t, "scrape_configs:\n- job_name: web\n", c2)); err != nil {
		t.Fatal(err)
	}
	// The replaced provider's last update, sent before the reconfiguration, arrives now: an empty job.
	d.deliver(replaced, []*targetgroup.Group{{Source: "g"}})
	d.deliver(replaced, []*targetgroup.Group{group("h", nil, ls("__address__", "stale:1"))})
	stays(t, "old:1 served, stale:1 not", 500*time.Millisecond, func() bool {
		got := rec.addresses("web")
		return got["old:1"] && !got["stale:1"]
	})
	c2.send(t, group("g", nil, ls("__address__", "new:1")))
	waitFor(t, "new:1 replaces old:1", func() bool {
		got := rec.addresses("web")
		return got["new:1"] && !got["old:1"] && !got["stale:1"]
	})
}

// Before readiness nothing is served, so the first load reaches the sink as one batch once every provider has
// reported, not one batch per provider (each of which the allocator would allocate and encode for no reader).
func TestFirstLoadIsOneBatch(t *testing.T) {
	d, rec := startDiscovery(t, time.Hour)
	p1, p2 := newFeed("p1"), newFeed("p2")
	if err := d.ApplyConfig(withSD(t, "scrape_configs:\n- job_name: web\n", p1, p2)); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	registered := rec.changes
	rec.mu.Unlock()
	p1.send(t, group("g1", nil, ls("__address__", "a:1")))
	stays(t, "no batch while p2 has not reported", 5*DefaultFlushInterval, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.changes == registered
	})
	p2.send(t, group("g2", nil, ls("__address__", "b:1")))
	waitFor(t, "readiness", d.Ready)
	waitFor(t, "both targets", func() bool { got := rec.addresses("web"); return got["a:1"] && got["b:1"] })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := rec.changes - registered; n != 1 {
		t.Errorf("first load reached the sink in %d job changes, want 1", n)
	}
}
