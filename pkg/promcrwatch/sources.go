package promcrwatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// DefaultSyncTimeout bounds the wait for the first load of monitoring resources, Secrets and the rest. It is the
// TA's default ready timeout: discovery waits for this first load before it starts, so the static jobs of the
// config file wait at most this long for a source that cannot be listed.
const DefaultSyncTimeout = 30 * time.Second

// ReasonSourcesNotSynced is the Warning Event on the collector when a source could not be loaded in time.
const ReasonSourcesNotSynced = "MonitoringSourcesNotSynced"

// source is one informer the watcher reads: its first-load state and the last error of its list or watch (a 403
// when the TA's role lacks list on the resource).
type source struct {
	name    string
	synced  cache.InformerSynced
	lastErr atomic.Pointer[error]
}

func (s *source) describe() string {
	if e := s.lastErr.Load(); e != nil {
		if apierrors.IsForbidden(*e) {
			return s.name + " (forbidden: the target allocator's role may not list them)"
		}
		return fmt.Sprintf("%s (%v)", s.name, *e)
	}
	return s.name + " (no answer yet)"
}

// waitForSources waits for every source's first load, at most SyncTimeout. Sources still loading then are
// reported (log, Warning Event, the unsynced gauge, Unsynced for readiness details) and the watcher goes on with
// what it has: jobs from the sources that loaded, and the static jobs, rather than a TA that never turns ready
// because one permission is missing. A source that loads later makes the watcher recompute as its objects
// arrive, and clears its report.
func (w *Watcher) waitForSources(ctx context.Context) error {
	deadline := time.NewTimer(w.opts.SyncTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pending := w.pendingSources()
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("promcrwatch: caches not synced: %w", ctx.Err())
		case <-tick.C:
			continue
		case <-deadline.C:
		}
		names := make([]string, len(pending))
		for i, s := range pending {
			names[i] = s.describe()
			w.metrics.unsynced.WithLabelValues(s.name).Set(1)
		}
		msg := fmt.Sprintf("not loaded after %s, going on without them: %s", w.opts.SyncTimeout, strings.Join(names, ", "))
		w.unsynced.Store(&msg)
		klog.InfoS("Monitoring sources not loaded; scrape configs are served without their resources until they load", "sources", names)
		w.reporter.event(corev1.EventTypeWarning, ReasonSourcesNotSynced, "Monitoring sources "+msg)
		for _, s := range pending {
			go w.awaitLate(ctx, s)
		}
		return nil
	}
}

// awaitLate clears the report of a source that loads after the bounded wait.
func (w *Watcher) awaitLate(ctx context.Context, s *source) {
	if !cache.WaitForCacheSync(ctx.Done(), s.synced) {
		return
	}
	w.metrics.unsynced.WithLabelValues(s.name).Set(0)
	if len(w.pendingSources()) == 0 {
		w.unsynced.Store(nil)
	}
	klog.InfoS("Monitoring source loaded late", "source", s.name)
	w.poke()
}

func (w *Watcher) pendingSources() []*source {
	var out []*source
	for _, s := range w.sources {
		if !s.synced() {
			out = append(out, s)
		}
	}
	return out
}

// Unsynced returns nil when every source has loaded, else an error naming those that did not load within the
// bounded wait and why; for readiness details (/readyz?verbose). It never makes the TA unready: the TA serves
// what it has.
func (w *Watcher) Unsynced() error {
	if m := w.unsynced.Load(); m != nil {
		return errors.New(*m)
	}
	return nil
}

func newUnsyncedGauge() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "targetallocator_prometheus_cr_unsynced_sources",
		Help: "1 for each source (monitoring resource kind, Secret, ConfigMap, Namespace) that could not be loaded within the bounded wait, typically for a missing permission; 0 once it loaded.",
	}, []string{"source"})
}
