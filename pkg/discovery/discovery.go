package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// DefaultReadyTimeout bounds how long readiness waits for jobs whose discovery delivers nothing.
const DefaultReadyTimeout = 30 * time.Second

// DefaultFlushInterval is the shortest time between two batches of changes handed to the sink. Updates that
// arrive meanwhile (kubernetes SD sends one group per object) are folded into the next batch.
const DefaultFlushInterval = 100 * time.Millisecond

// Options configure Discovery.
type Options struct {
	// Registerer receives the SD mechanisms' and our own metrics. Required.
	Registerer prometheus.Registerer
	// Sink receives every change, in order, from one goroutine at a time. While it runs, providers' updates
	// wait. Required.
	Sink func([]target.JobChange)
	// FilterRelabel applies relabel_configs (filter_strategy relabel-config).
	FilterRelabel bool
	// KubeconfigPath, when set, is given to kubernetes SD configs that name neither api_server nor
	// kubeconfig_file (a TA running out of cluster).
	KubeconfigPath string
	// ReadyTimeout bounds the wait for jobs that deliver no targets, and how long a reconfigured job keeps the
	// targets of its replaced providers while the new ones have not reported; DefaultReadyTimeout when zero.
	ReadyTimeout time.Duration
	// FlushInterval is the shortest time between two batches; DefaultFlushInterval when zero.
	FlushInterval time.Duration
	// Logger is the SD mechanisms' logger; klog's when nil.
	Logger *slog.Logger
}

// Discovery runs Prometheus' SD providers itself, the way Prometheus' discovery manager does (one provider per
// distinct SD config, shared by the jobs that use it), but keeps none of their target groups: each update is
// converted into the processor's compact state as it arrives, touching only that provider's groups, and the
// changes go to a sink in batches.
type Discovery struct {
	opts    Options
	ctx     context.Context
	metrics *Metrics
	sd      *discovery.SDMetrics
	// fileGate lets one file SD provider at a time hold decoded groups; see fileDiscoverer.
	fileGate chan struct{}

	// mu serialises the processor, the provider set and the sink.
	mu         sync.Mutex
	proc       *Processor
	configured bool
	providers  []*provider
	nextID     uint64
	holds      map[string]*hold
	// unreported counts running providers that have not delivered their first update.
	unreported int
	// flushed is set once a flush ran after every provider had reported.
	flushed bool

	dirty chan struct{}
	ready atomic.Bool
}

// provider is one running discoverer and the jobs it serves.
type provider struct {
	id     uint64
	name   string
	cfg    discovery.Config
	subs   map[string]int // job -> position of cfg in the job's SD configs
	cancel context.CancelFunc
	// stopped is set under Discovery.mu when the provider was cancelled: updates it still sends are older than
	// the configuration that replaced it and are ignored.
	stopped  bool
	reported bool
}

// hold keeps the groups of a job's replaced providers until every provider that replaced them has reported, or
// until its deadline: a collector polling in between then sees the job's last targets, not an empty job.
type hold struct {
	old      []uint64
	awaiting map[uint64]bool
	timer    *time.Timer
}

// New prepares discovery; ctx bounds every discoverer it starts.
func New(ctx context.Context, opts Options) (*Discovery, error) {
	if opts.Registerer == nil || opts.Sink == nil {
		return nil, errors.New("discovery: Registerer and Sink are required")
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(logr.ToSlogHandler(klog.FromContext(ctx).WithName("discovery")))
	}
	sdMetrics, err := discovery.CreateAndRegisterSDMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("registering service discovery metrics: %w", err)
	}
	m, err := NewMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &Discovery{
		opts:     opts,
		ctx:      ctx,
		metrics:  m,
		sd:       sdMetrics,
		fileGate: make(chan struct{}, 1),
		proc:     NewProcessor(opts.FilterRelabel, m),
		holds:    map[string]*hold{},
		dirty:    make(chan struct{}, 1),
	}, nil
}

// ApplyConfig installs scrape configs: jobs are registered (or deleted) at once through the sink; providers whose
// SD config and jobs are unchanged keep running, others are started or stopped. A job whose providers were
// replaced keeps their targets until the new ones report (see hold). Call it before Run and on every
// configuration change.
func (d *Discovery) ApplyConfig(cfgs []*config.ScrapeConfig) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	changes, err := d.proc.SetJobs(cfgs)
	if err != nil {
		return fmt.Errorf("applying scrape configs: %w", err)
	}
	if len(changes) > 0 {
		d.opts.Sink(changes)
	}

	// The providers the configuration asks for, one per distinct SD config, in configuration order.
	type want struct {
		cfg  discovery.Config
		subs map[string]int
	}
	var wants []*want
	jobs := map[string]bool{}
	for job, sds := range sdConfigs(cfgs, d.opts.KubeconfigPath) {
		jobs[job] = true
		for i, sd := range sds {
			found := false
			for _, w := range wants {
				if reflect.DeepEqual(w.cfg, sd) {
					if _, dup := w.subs[job]; !dup {
						w.subs[job] = i
					}
					found = true
					break
				}
			}
			if !found {
				wants = append(wants, &want{cfg: sd, subs: map[string]int{job: i}})
			}
		}
	}

	var keep, started []*provider
	var stopped []*provider
	matched := make([]bool, len(wants))
	for _, p := range d.providers {
		i := slices.IndexFunc(wants, func(w *want) bool {
			return reflect.DeepEqual(w.cfg, p.cfg) && reflect.DeepEqual(w.subs, p.subs)
		})
		if i >= 0 && !matched[i] {
			matched[i] = true
			keep = append(keep, p)
			continue
		}
		stopped = append(stopped, p)
	}
	for i, w := range wants {
		if matched[i] {
			continue
		}
		if p := d.startProvider(w.cfg, w.subs); p != nil {
			started = append(started, p)
		}
	}

	// Replaced providers: their groups stay in each job that gets a new provider, until those report.
	newFor := map[string][]uint64{}
	for _, p := range started {
		for job := range p.subs {
			newFor[job] = append(newFor[job], p.id)
		}
	}
	for _, p := range stopped {
		p.cancel()
		p.stopped = true
		if !p.reported {
			d.unreported--
		}
		for job := range p.subs {
			if !jobs[job] {
				continue // the job left; its state went with it
			}
			if len(newFor[job]) == 0 {
				d.proc.RemoveProvider(job, p.id)
				continue
			}
			h := d.holds[job]
			if h == nil {
				h = &hold{}
				d.holds[job] = h
			}
			h.old = append(h.old, p.id)
		}
	}
	for job, h := range d.holds {
		if !jobs[job] {
			h.timer.Stop()
			delete(d.holds, job)
			continue
		}
		ids, ok := newFor[job]
		if !ok {
			continue
		}
		// The hold waits for the providers of the newest configuration, from now on.
		h.awaiting = map[uint64]bool{}
		for _, id := range ids {
			h.awaiting[id] = true
		}
		if h.timer != nil {
			h.timer.Stop()
		}
		h.timer = time.AfterFunc(d.opts.ReadyTimeout, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.holds[job] == h {
				d.release(job, h)
			}
		})
	}
	d.providers = append(keep, started...)
	d.configured = true
	d.signal()
	return nil
}

// startProvider creates and starts the discoverer for cfg. A config whose discoverer cannot be created is
// logged and skipped, as Prometheus does; readiness does not wait for it.
func (d *Discovery) startProvider(cfg discovery.Config, subs map[string]int) *provider {
	d.nextID++
	p := &provider{id: d.nextID, cfg: cfg, subs: subs, name: fmt.Sprintf("%s/%d", cfg.Name(), d.nextID)}
	var setName string
	for job := range subs {
		if setName == "" || job < setName {
			setName = job
		}
	}
	logger := d.opts.Logger.With("discovery", cfg.Name(), "config", setName)
	var disc discovery.Discoverer
	if fc, ok := cfg.(*file.SDConfig); ok {
		// Our file SD decodes a file only when its bytes changed; see fileDiscoverer.
		disc = newFileDiscoverer(fc, logger, d.fileGate)
	} else {
		var err error
		disc, err = cfg.NewDiscoverer(discovery.DiscovererOptions{
			Logger:  logger,
			Metrics: d.sd.MechanismMetrics[cfg.Name()],
			SetName: setName,
		})
		if err != nil {
			klog.ErrorS(err, "Cannot create service discovery", "type", cfg.Name(), "job", setName)
			return nil
		}
	}
	ctx, cancel := context.WithCancel(d.ctx)
	p.cancel = cancel
	d.unreported++
	up := make(chan []*targetgroup.Group)
	go disc.Run(ctx, up)
	go d.forward(ctx, p, up)
	return p
}

// forward applies a provider's updates as they come. The channel is unbuffered and an update is applied before
// the next is read, so a discoverer's next send returns only once its previous update is applied: fileDiscoverer
// relies on that to bound the decoded groups alive at once.
func (d *Discovery) forward(ctx context.Context, p *provider, up <-chan []*targetgroup.Group) {
	for {
		var tgs []*targetgroup.Group
		var ok bool
		select {
		case <-ctx.Done():
			return
		case tgs, ok = <-up:
		}
		if !ok {
			// Prometheus' static discoverer closes its channel after its one update.
			<-ctx.Done()
			return
		}
		d.deliver(p, tgs)
	}
}

// deliver applies one update of p unless p was stopped meanwhile: an update of a replaced provider predates the
// configuration that replaced it and must neither change targets nor end a hold.
func (d *Discovery) deliver(p *provider, tgs []*targetgroup.Group) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !p.stopped {
		d.apply(p, tgs)
	}
}

// apply hands one update to the processor for each job of the provider. d.mu must be held.
func (d *Discovery) apply(p *provider, tgs []*targetgroup.Group) {
	for job, ord := range p.subs {
		d.proc.Update(job, ProviderRef{ID: p.id, Ord: ord}, tgs)
	}
	if !p.reported {
		p.reported = true
		d.unreported--
		for job := range p.subs {
			if h := d.holds[job]; h != nil && h.awaiting[p.id] {
				delete(h.awaiting, p.id)
				if len(h.awaiting) == 0 {
					d.release(job, h)
				}
			}
		}
	}
	d.signal()
}

// release ends a hold: the replaced providers' groups go. d.mu must be held.
func (d *Discovery) release(job string, h *hold) {
	h.timer.Stop()
	for _, id := range h.old {
		d.proc.RemoveProvider(job, id)
	}
	delete(d.holds, job)
	d.signal()
}

func (d *Discovery) signal() {
	select {
	case d.dirty <- struct{}{}:
	default:
	}
}

// Run hands changes to the sink until ctx ends, at most once per flush interval, and latches readiness. It
// returns nil on cancellation.
func (d *Discovery) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	readyTimer := time.NewTimer(d.opts.ReadyTimeout)
	defer readyTimer.Stop()
	logger.V(2).Info("Discovery running")
	for {
		select {
		case <-ctx.Done():
			d.mu.Lock()
			for _, p := range d.providers {
				p.cancel()
			}
			d.mu.Unlock()
			return nil
		case <-readyTimer.C:
			d.mu.Lock()
			d.checkReady(true)
			d.mu.Unlock()
			// What the first load held back goes out now.
			d.signal()
			continue
		case <-d.dirty:
		}
		d.mu.Lock()
		if !d.ready.Load() && (!d.configured || d.unreported > 0) {
			// First load: nothing is served before readiness (the target routes answer 503), so every batch
			// before the last provider reports would be allocated and encoded for no reader. With one job fed by
			// several providers each batch touched every collector, and the allocator re-encoded every response
			// once per provider; holding the batches makes the first load one Apply. The last provider's report
			// (or the ready timeout) signals again.
			d.mu.Unlock()
			continue
		}
		start := time.Now()
		if changes := d.proc.Flush(); len(changes) > 0 {
			d.opts.Sink(changes)
		}
		took := time.Since(start)
		if d.configured && d.unreported == 0 {
			d.flushed = true
		}
		d.checkReady(false)
		d.mu.Unlock()
		// Batches are paced by the time the sink takes as well as by the interval: when allocating and encoding
		// a batch takes longer than the interval, the next one gathers the changes of that time rather than
		// keeping the allocator busy with one small batch after another.
		select {
		case <-ctx.Done():
		case <-time.After(max(d.opts.FlushInterval, took)):
		}
	}
}

// checkReady latches readiness once configuration is applied and either every provider has delivered its first
// update and that reached the sink, or the wait ran out; then jobs still waiting for a provider are logged and
// counted. A TA never stays unready because one SD source is down. d.mu must be held.
func (d *Discovery) checkReady(timedOut bool) {
	if d.ready.Load() || !d.configured {
		return
	}
	switch {
	case d.flushed:
		d.metrics.setJobsWithoutGroups(0)
	case timedOut:
		missing := map[string]bool{}
		for _, p := range d.providers {
			if !p.reported {
				for job := range p.subs {
					missing[job] = true
				}
			}
		}
		names := make([]string, 0, len(missing))
		for job := range missing {
			names = append(names, job)
		}
		slices.Sort(names)
		klog.InfoS("Discovery ready although some jobs have delivered no targets yet", "jobs", names, "waited", d.opts.ReadyTimeout)
		d.metrics.setJobsWithoutGroups(len(names))
	default:
		return
	}
	d.ready.Store(true)
}

// Ready reports whether discovery's first full update reached the sink, or the bounded wait ran out.
func (d *Discovery) Ready() bool { return d.ready.Load() }
