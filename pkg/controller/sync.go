package controller

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// sync brings one collector's children and status in line with its spec. It reads only from the caches; the
// collector from the cache is never modified (Build and status work on copies).
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("invalid key %q: %w", key, err))
		return nil
	}
	if !c.watched(ns) {
		return nil
	}
	cached, err := c.scope(ns).Collectors.Lister().OpenTelemetryCollectors(ns).Get(name)
	if apierrors.IsNotFound(err) {
		// Namespaced children go with their owner through the garbage collector; cluster-scoped ones cannot
		// have a namespaced owner, so they are deleted here, found by their instance label.
		var errs []error
		for _, k := range c.kinds {
			errs = append(errs, k.cleanup(ctx, c, ns, name))
		}
		return errors.Join(errs...)
	}
	if err != nil {
		return fmt.Errorf("getting collector %s from the cache: %w", key, err)
	}
	if cached.DeletionTimestamp != nil {
		// Being deleted: recreating children now would only race the garbage collector.
		return nil
	}
	col := cached.DeepCopy()

	children, buildErr := resources.Build(col, c.opts)
	if buildErr != nil {
		// A CR that cannot be built keeps its last good children: report and wait for the next change.
		return c.writeStatus(ctx, cached, c.newStatus(col, nil, nil, buildErr, nil))
	}

	r := &result{}
	var errs []error
	for _, k := range c.kinds {
		if err := k.reconcile(ctx, c, col, children, r); err != nil {
			errs = append(errs, err)
		}
	}
	reconcileErr := errors.Join(errs...)
	if err := c.writeStatus(ctx, cached, c.newStatus(col, children, r, nil, reconcileErr)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
