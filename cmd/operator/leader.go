package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// runWithLeaderElection runs work (the controller's workers) while this process holds the Lease and returns after they stopped.
//
// The Lease is released on shutdown (so a standby takes over at once), but only after every worker returned:
// client-go releases as soon as the context it runs with ends, so that context is not the signal context but one
// this function cancels itself once the workers are done. Losing the Lease stops the workers and ends the process
// with an error (the pod restarts as a standby) rather than risking two writers.
func (op *operator) runWithLeaderElection(ctx context.Context, o *options, work func(context.Context, int) error) error {
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname for the leader identity: %w", err)
	}
	id := host + "_" + string(uuid.NewUUID())
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.leaseNamespace, o.leaseName,
		op.kube.CoreV1(), op.kube.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: id, EventRecorder: op.recorder})
	if err != nil {
		return fmt.Errorf("leader election lock: %w", err)
	}
	logger := klog.FromContext(ctx)
	lock = &explainingLock{Interface: lock, logger: logger, namespace: o.leaseNamespace, name: o.leaseName}

	// electionCtx outlives a SIGTERM until the workers stopped; cancelling it releases the Lease.
	electionCtx, stopElection := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElection()

	var (
		mu        sync.Mutex
		started   bool // workers started; guarded by mu, so shutdown knows whether to wait for them
		runErr    error
		workersOK = make(chan struct{})
	)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.leaseDuration,
		RenewDeadline:   o.renewDeadline,
		RetryPeriod:     o.retryPeriod,
		ReleaseOnCancel: true,
		Name:            o.leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leading context.Context) {
				mu.Lock()
				if ctx.Err() != nil {
					mu.Unlock()
					return // shutting down already: do not start workers that nobody waits for
				}
				started = true
				mu.Unlock()
				logger.Info("Became leader, starting workers", "identity", id)
				// Workers stop on SIGTERM (ctx) and when the Lease is lost (leading).
				workCtx, cancel := context.WithCancel(leading)
				stop := context.AfterFunc(ctx, cancel)
				err := work(workCtx, o.workers)
				stop()
				cancel()
				mu.Lock()
				runErr = err
				mu.Unlock()
				close(workersOK)
			},
			OnStoppedLeading: func() {
				logger.Info("Stopped leading", "identity", id)
			},
			OnNewLeader: func(identity string) {
				if identity != id {
					logger.Info("Another replica leads", "leader", identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	electionDone := make(chan struct{})
	go func() {
		defer close(electionDone)
		elector.Run(electionCtx)
	}()

	var lost error
	select {
	case <-ctx.Done():
	case <-electionDone:
		// Run returns on its own only when the Lease was lost (or could not be renewed).
		lost = fmt.Errorf("lost the leader Lease %s/%s", o.leaseNamespace, o.leaseName)
	}
	mu.Lock()
	wait := started
	// After this, OnStartedLeading starts nothing (ctx is done, or the election ended and cannot lead again).
	mu.Unlock()
	if wait {
		<-workersOK
	}
	stopElection() // releases the Lease, now that no worker writes any more
	<-electionDone
	mu.Lock()
	defer mu.Unlock()
	if lost != nil && ctx.Err() == nil {
		return errors.Join(lost, runErr)
	}
	return runErr
}

// explainingLock logs why the Lease cannot be taken, at error level and with what to do about it, once per
// distinct reason: client-go's own message ("error initially creating leader election record") names neither the
// Lease nor the remedy.
type explainingLock struct {
	resourcelock.Interface
	logger          klog.Logger
	namespace, name string

	mu   sync.Mutex
	last string
}

func (l *explainingLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Create(ctx, ler)
	l.explain(err)
	return err
}

func (l *explainingLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Update(ctx, ler)
	l.explain(err)
	return err
}

func (l *explainingLock) explain(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.last = ""
		return
	}
	var hint string
	switch {
	case apierrors.IsNotFound(err):
		hint = fmt.Sprintf("the namespace %q does not exist: create it, pass --leader-elect-resource-namespace, or run without --leader-elect", l.namespace)
	case apierrors.IsForbidden(err):
		hint = fmt.Sprintf("the operator may not create or update Leases in %q: apply manifests/operator/leader-election.yaml there", l.namespace)
	default:
		hint = "will retry"
	}
	if msg := err.Error(); msg != l.last {
		l.last = msg
		l.logger.Error(err, "Cannot take the leader Lease", "lease", l.namespace+"/"+l.name, "hint", hint)
	}
}

// leaderMetrics exposes leader_election_master_status{name} (1 while this process holds the Lease), the gauge
// Kubernetes components export, through client-go's leader election metrics provider.
type leaderMetrics struct{ status *prometheus.GaugeVec }

func registerLeaderMetrics(reg prometheus.Registerer) {
	m := leaderMetrics{status: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leader_election_master_status",
		Help: "1 while this process holds the leader Lease of that name, else 0.",
	}, []string{"name"})}
	reg.MustRegister(m.status)
	leaderelection.SetProvider(m)
}

func (m leaderMetrics) NewLeaderMetric() leaderelection.LeaderMetric { return m }
func (m leaderMetrics) On(name string)                               { m.status.WithLabelValues(name).Set(1) }
func (m leaderMetrics) Off(name string)                              { m.status.WithLabelValues(name).Set(0) }
func (m leaderMetrics) SlowpathExercised(string)                     {}
