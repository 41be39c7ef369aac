package main

import (
	"context"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
)

// On SIGTERM the Lease may be released only after every worker stopped: a standby that takes a released Lease
// while the old leader still writes makes two writers. The workers here take a while to stop and record whether
// the Lease was already released when they did.
func TestLeaseIsReleasedAfterTheWorkersStopped(t *testing.T) {
	kube := fake.NewClientset()
	var mu sync.Mutex
	var released time.Time
	kube.PrependReactor("update", "leases", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if l, ok := a.(clienttesting.UpdateAction).GetObject().(*coordinationv1.Lease); ok &&
			(l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "") {
			mu.Lock()
			if released.IsZero() {
				released = time.Now()
			}
			mu.Unlock()
		}
		return false, nil, nil
	})
	op := &operator{kube: kube, recorder: record.NewFakeRecorder(100)}
	o := &options{leaseNamespace: "ops", leaseName: "otelcol-operator", leaseDuration: 15 * time.Second,
		renewDeadline: 10 * time.Second, retryPeriod: 100 * time.Millisecond, workers: 2}

	ctx, sigterm := context.WithCancel(context.Background())
	leading := make(chan struct{})
	var stopped time.Time
	var releasedWhileWorking bool
	work := func(ctx context.Context, _ int) error {
		close(leading)
		<-ctx.Done()
		// Workers finish their last writes after the signal.
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		releasedWhileWorking = !released.IsZero()
		stopped = time.Now()
		mu.Unlock()
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- op.runWithLeaderElection(ctx, o, work) }()
	select {
	case <-leading:
	case <-time.After(10 * time.Second):
		t.Fatal("never became leader")
	}
	sigterm()
	if err := <-done; err != nil {
		t.Fatalf("runWithLeaderElection: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if releasedWhileWorking {
		t.Error("the Lease was released while workers still ran")
	}
	if released.IsZero() {
		t.Fatal("the Lease was never released on shutdown (a standby would wait a whole lease duration)")
	}
	if released.Before(stopped) {
		t.Errorf("released %v before the workers stopped", stopped.Sub(released))
	}
}
