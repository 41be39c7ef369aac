package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// DefaultReadyTimeout bounds how long readiness waits for jobs whose discovery delivers nothing.
const DefaultReadyTimeout = 30 * time.Second

// Options configure Discovery.
type Options struct {
	// Registerer receives the discovery manager's, the SD mechanisms' and our own metrics. Required.
	Registerer prometheus.Registerer
	// Sink receives every change, in order, from one goroutine at a time. It should not block for long: while
	// it runs, newer snapshots wait (only the newest is kept). Required.
	Sink func([]target.JobChange)
	// FilterRelabel applies relabel_configs (filter_strategy relabel-config).
	FilterRelabel bool
	// KubeconfigPath, when set, is given to kubernetes SD configs that name neither api_server nor
	// kubeconfig_file (a TA running out of cluster).
	KubeconfigPath string
	// ReadyTimeout bounds the wait for jobs that deliver no targets; DefaultReadyTimeout when zero.
	ReadyTimeout time.Duration
	// Name distinguishes the discovery manager's metrics; "targetallocator" when empty.
	Name string
	// Logger is the discovery manager's logger; klog's when nil.
	Logger *slog.Logger
}

// Discovery runs a Prometheus discovery manager and turns its updates into target changes for a sink.
type Discovery struct {
	opts    Options
	manager *discovery.Manager
	metrics *Metrics

	// mu serialises the processor: configuration and snapshots are applied one at a time, in order, and the
	// sink sees changes in that order.
	mu         sync.Mutex
	proc       *Processor
	configured bool
	// static names the jobs whose targets are all known up front (static_configs only, or nothing): they never
	// hold up readiness. The manager keeps no empty groups, so a job that discovered nothing looks the same as
	// one whose discovery never answered; only the bounded wait tells them apart.
	static map[string]bool

	// latest is the newest unprocessed snapshot; the manager's channel is drained into it at once, so that the
	// manager never waits on our processing. Older unprocessed snapshots are superseded: each is complete.
	latestMu sync.Mutex
	latest   map[string][]*targetgroup.Group
	wake     chan struct{}

	ready    atomic.Bool
	snapshot atomic.Bool
}

// New creates the discovery manager; ctx bounds the manager and every discoverer it starts.
func New(ctx context.Context, opts Options) (*Discovery, error) {
	if opts.Registerer == nil || opts.Sink == nil {
		return nil, errors.New("discovery: Registerer and Sink are required")
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.Name == "" {
		opts.Name = "targetallocator"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(logr.ToSlogHandler(klog.FromContext(ctx).WithName("discovery-manager")))
	}
	sdMetrics, err := discovery.CreateAndRegisterSDMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("registering service discovery metrics: %w", err)
	}
	mgr := discovery.NewManager(ctx, opts.Logger, opts.Registerer, sdMetrics, discovery.Name(opts.Name))
	if mgr == nil {
		// NewManager logs its reason, typically a duplicate metrics registration.
		return nil, errors.New("discovery: creating the discovery manager failed (see log)")
	}
	m, err := NewMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	proc := NewProcessor(opts.FilterRelabel, m)
	// A reconfigured job keeps its last targets while its new discoverers start, for as long as readiness would
	// wait for a job that delivers nothing.
	proc.hold = opts.ReadyTimeout
	return &Discovery{
		opts:    opts,
		manager: mgr,
		metrics: m,
		proc:    proc,
		wake:    make(chan struct{}, 1),
	}, nil
}

// ApplyConfig installs scrape configs: jobs are registered (or deleted) at once through the sink, and the manager
// starts or stops discoverers for what changed. Call it before Run and on every configuration change.
func (d *Discovery) ApplyConfig(cfgs []*config.ScrapeConfig) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	changes, err := d.proc.SetJobs(cfgs)
	if err != nil {
		return fmt.Errorf("applying scrape configs: %w", err)
	}
	if err := d.manager.ApplyConfig(sdConfigs(cfgs, d.opts.KubeconfigPath)); err != nil {
		// The manager applies what it can and reports the rest (a discoverer that failed to start).
		klog.ErrorS(err, "Some service discovery configurations failed to apply")
	}
	d.configured = true
	d.static = map[string]bool{}
	for _, c := range cfgs {
		if c != nil && staticOnly(c.ServiceDiscoveryConfigs) {
			d.static[c.JobName] = true
		}
	}
	if len(changes) > 0 {
		d.opts.Sink(changes)
	}
	d.checkReady(false)
	return nil
}

// Run runs the manager and processing until ctx ends. It returns nil on cancellation.
func (d *Discovery) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The manager lives as long as the context given to New; Run waits only for its own goroutines.
	errc := make(chan error, 1)
	go func() {
		// Run reports its context's end as an error; only anything else is a failure.
		if err := d.manager.Run(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			errc <- fmt.Errorf("discovery manager: %w", err)
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { d.process(ctx) })
	wg.Go(func() {
		t := time.NewTimer(d.opts.ReadyTimeout)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			d.mu.Lock()
			d.checkReady(true)
			d.mu.Unlock()
		}
	})
	logger.V(2).Info("Discovery running")

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			cancel()
			return err
		case snap, ok := <-d.manager.SyncCh():
			if !ok {
				return nil // the manager stopped: the context given to New ended
			}
			d.latestMu.Lock()
			d.latest = snap
			d.latestMu.Unlock()
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	}
}

// process applies the newest snapshot whenever there is one.
func (d *Discovery) process(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		}
		d.latestMu.Lock()
		snap := d.latest
		d.latest = nil
		d.latestMu.Unlock()
		if snap == nil {
			continue
		}
		d.mu.Lock()
		changes := d.proc.Process(snap)
		if len(changes) > 0 {
			d.opts.Sink(changes)
		}
		d.snapshot.Store(true)
		d.checkReady(false)
		d.mu.Unlock()
	}
}

// checkReady latches readiness once configuration is applied and either every job has delivered target groups
// (changes reached the sink first) or the wait ran out; then jobs still without groups are logged and counted. A
// TA never stays unready because one SD source is down. d.mu must be held.
func (d *Discovery) checkReady(timedOut bool) {
	if d.ready.Load() || !d.configured {
		return
	}
	var missing []string
	for _, job := range d.proc.Jobs() {
		if !d.static[job] && !d.proc.HasGroups(job) {
			missing = append(missing, job)
		}
	}
	switch {
	case len(missing) == 0 && (d.snapshot.Load() || len(d.proc.Jobs()) == 0):
		d.metrics.setJobsWithoutGroups(0)
	case timedOut:
		klog.InfoS("Discovery ready although some jobs have delivered no targets yet", "jobs", missing, "waited", d.opts.ReadyTimeout)
		d.metrics.setJobsWithoutGroups(len(missing))
	default:
		return
	}
	d.ready.Store(true)
}

// Ready reports whether discovery's first full update reached the sink, or the bounded wait ran out.
func (d *Discovery) Ready() bool { return d.ready.Load() }

func staticOnly(sds discovery.Configs) bool {
	for _, sd := range sds {
		if _, ok := sd.(discovery.StaticConfig); !ok {
			return false
		}
	}
	return true
}
