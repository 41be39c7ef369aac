package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// runWithLeaderElection runs the controller while this process holds the Lease. Losing the Lease ends the process
// with an error (the pod restarts as a standby) rather than risking two writers.
func (op *operator) runWithLeaderElection(ctx context.Context, o *options) error {
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var runErr, lost error
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   15 * time.Second,
		RenewDeadline:   10 * time.Second,
		RetryPeriod:     2 * time.Second,
		ReleaseOnCancel: true,
		Name:            o.leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				logger.Info("Became leader", "identity", id)
				runErr = op.controller.Run(ctx, o.workers)
				cancel()
			},
			OnStoppedLeading: func() {
				if ctx.Err() == nil {
					lost = fmt.Errorf("lost the leader Lease %s/%s", o.leaseNamespace, o.leaseName)
				}
				cancel()
			},
			OnNewLeader: func(identity string) {
				if identity != id {
					logger.Info("Another replica leads", "leader", identity)
				}
			},
		},
	})
	if lost != nil {
		return lost
	}
	return runErr
}
