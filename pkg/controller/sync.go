package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// conflictError is a sync's result when a child's name is taken by an object the collector does not control. It
// is retried with a backoff capped at maxConflictDelay: the foreign object is not in the label-filtered caches, so
// no event says when it is gone.
type conflictError struct{ conflicts []string }

func (e *conflictError) Error() string {
	return fmt.Sprintf("%d children conflict with objects this collector does not control", len(e.conflicts))
}

// heldError says why workloads were not written in a sync.
type heldError struct{ workloads []string }

func (e *heldError) Error() string {
	return fmt.Sprintf("a ConfigMap or Secret they mount could not be written, so %s were left as they are", strings.Join(e.workloads, ", "))
}

// collector returns the cached collector of key, nil when it is gone or not watched.
func (c *Controller) collector(key string) (*v1alpha1.OpenTelemetryCollector, string, string, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("invalid key %q: %w", key, err))
		return nil, "", "", nil
	}
	if !c.watched(ns) {
		return nil, ns, name, nil
	}
	col, err := c.scope(ns).Collectors.Lister().OpenTelemetryCollectors(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, ns, name, nil
	}
	if err != nil {
		return nil, ns, name, fmt.Errorf("getting collector %s from the cache: %w", key, err)
	}
	return col, ns, name, nil
}

// sync brings one collector's children and status in line with its spec. It reads only from the caches; the
// collector from the cache is never modified (Build and status work on copies).
func (c *Controller) sync(ctx context.Context, key string) error {
	cached, ns, name, err := c.collector(key)
	if err != nil {
		return err
	}
	if cached == nil {
		if ns == "" || !c.watched(ns) {
			return nil
		}
		// Namespaced children go with their owner through the garbage collector; cluster-scoped ones cannot
		// have a namespaced owner, so they are deleted here, found by their instance label and owner annotations.
		var errs []error
		for _, k := range c.kinds {
			errs = append(errs, k.cleanup(ctx, c, ns, name))
		}
		return errors.Join(errs...)
	}
	if cached.DeletionTimestamp != nil {
		// Being deleted: recreating children now would only race the garbage collector.
		return nil
	}
	col := cached.DeepCopy()

	opts := c.opts
	certs, renewAt, certConflicts, certErr := c.certificates(ctx, col)
	switch {
	case certErr != nil:
		return errors.Join(certErr, c.writeStatus(ctx, cached, c.newStatus(col, nil, &result{}, nil, certErr)))
	case len(certConflicts) > 0:
		// Nothing is written: without its certificates the collector would lose its mTLS listener and mounts.
		if err := c.writeStatus(ctx, cached, c.newStatus(col, nil, &result{conflicts: certConflicts}, nil, nil)); err != nil {
			return err
		}
		return &conflictError{conflicts: certConflicts}
	}
	opts.TargetAllocatorCertificates = certs
	opts.ServiceMonitorsServed = c.serviceMonitorsServed(ctx)
	children, buildErr := resources.Build(col, opts)
	if buildErr != nil {
		// A CR that cannot be built keeps its last good children: report and wait for the next change. Its
		// certificates are still renewed on time: a config left broken for longer than a leaf lives must not also
		// cut the running collectors off from the target allocator.
		var errs []error
		if certs != nil {
			r := &result{}
			errs = append(errs, c.secrets.reconcile(ctx, c, col, &resources.Children{Secrets: resources.CertificateSecrets(col, *certs)}, r))
			c.recordChanges(col, r)
			if len(r.conflicts) > 0 {
				errs = append(errs, &conflictError{conflicts: r.conflicts})
			}
		}
		errs = append(errs, c.writeStatus(ctx, cached, c.newStatus(col, nil, nil, buildErr, nil)))
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if !renewAt.IsZero() {
			c.renewAfter(key, renewAt)
		}
		return nil
	}

	r := &result{}
	var errs []error
	for _, k := range c.kinds {
		if err := k.reconcile(ctx, c, col, children, r); err != nil {
			errs = append(errs, err)
		}
	}
	c.recordChanges(col, r)
	if len(r.heldWorkloads) > 0 && len(r.conflicts) == 0 {
		// A conflict already says why; an error alone needs the held workloads named.
		errs = append(errs, &heldError{workloads: r.heldWorkloads})
	}
	reconcileErr := errors.Join(errs...)
	if err := c.writeStatus(ctx, cached, c.newStatus(col, children, r, nil, reconcileErr)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && len(r.conflicts) > 0 {
		return &conflictError{conflicts: r.conflicts}
	}
	if len(errs) == 0 && !renewAt.IsZero() {
		c.renewAfter(key, renewAt)
	}
	return errors.Join(errs...)
}

// syncStatus refreshes only what the caches say about the running children (replica counts, Available, the
// target allocator's report): for updates that cannot change the children (our own status writes, a child's
// status), so they cost no rebuild of the config and no write of a child.
func (c *Controller) syncStatus(ctx context.Context, key string) error {
	cached, _, _, err := c.collector(key)
	if err != nil || cached == nil || cached.DeletionTimestamp != nil {
		return err
	}
	st := *cached.Status.DeepCopy()
	c.refreshStatus(cached, &st)
	return c.writeStatus(ctx, cached, st)
}
