package controller

import (
	"context"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// monitoringDiscoveryInterval is how often the operator asks discovery whether ServiceMonitors are served, and so
// how long a Prometheus Operator installed after the collector takes to get its ServiceMonitors.
const monitoringDiscoveryInterval = time.Minute

// servedServiceMonitors reconciles the ServiceMonitors of observability.metrics.enableMetrics, only while the
// kind is served. It has no informer (one on a kind that is not served would never sync): it reads and lists
// through the API, and a hand edit of such a ServiceMonitor is undone at the collector's next full sync.
type servedServiceMonitors struct {
	kind *childKind[*monitoringv1.ServiceMonitor]
}

func (s servedServiceMonitors) reconcile(ctx context.Context, c *Controller, col *v1alpha1.OpenTelemetryCollector, children *resources.Children, r *result) error {
	if !c.serviceMonitorsServed(ctx) {
		return nil
	}
	err := s.kind.reconcile(ctx, c, col, children, r)
	if apierrors.IsForbidden(err) && len(children.ServiceMonitors) == 0 {
		// An operator installed with an older role may not list ServiceMonitors; a collector that asks for none
		// must not fail on the clean-up list. One that asks for them reports the error.
		klog.FromContext(ctx).V(2).Info("Cannot list ServiceMonitors to clean up, skipping", "err", err)
		return nil
	}
	return err
}

func (servedServiceMonitors) cleanup(context.Context, *Controller, string, string) error { return nil }
func (servedServiceMonitors) role() kindRole                                             { return roleOther }

func serviceMonitorKind() reconciler {
	get := func(ctx context.Context, c *Controller, ns, name string) (*monitoringv1.ServiceMonitor, error) {
		return c.monitoring.MonitoringV1().ServiceMonitors(ns).Get(ctx, name, metav1.GetOptions{})
	}
	return servedServiceMonitors{&childKind[*monitoringv1.ServiceMonitor]{
		kind:    "ServiceMonitor",
		desired: func(ch *resources.Children) []*monitoringv1.ServiceMonitor { return ch.ServiceMonitors },
		// Reads go to the API; ensure's "cache miss, ask the API" path then reads once more, which is harmless.
		get: func(c *Controller, ns, name string) (*monitoringv1.ServiceMonitor, error) {
			return get(context.Background(), c, ns, name)
		},
		getLive: get,
		list: func(c *Controller, ns string, sel labels.Selector) ([]*monitoringv1.ServiceMonitor, error) {
			l, err := c.monitoring.MonitoringV1().ServiceMonitors(ns).List(context.Background(), metav1.ListOptions{LabelSelector: sel.String()})
			if err != nil {
				return nil, err
			}
			out := make([]*monitoringv1.ServiceMonitor, 0, len(l.Items))
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
			return out, nil
		},
		create: func(ctx context.Context, c *Controller, o *monitoringv1.ServiceMonitor) error {
			_, err := c.monitoring.MonitoringV1().ServiceMonitors(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		},
		update: func(ctx context.Context, c *Controller, o *monitoringv1.ServiceMonitor) error {
			_, err := c.monitoring.MonitoringV1().ServiceMonitors(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
			return err
		},
		delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
			return c.monitoring.MonitoringV1().ServiceMonitors(ns).Delete(ctx, name, opts)
		},
	}}
}

// serviceMonitorsServed tells whether monitoring.coreos.com/v1 ServiceMonitors are served, from discovery at most
// monitoringDiscoveryInterval old. Without a monitoring client it is always false.
func (c *Controller) serviceMonitorsServed(ctx context.Context) bool {
	if c.monitoring == nil {
		return false
	}
	c.monMu.Lock()
	defer c.monMu.Unlock()
	if !c.monCheckedAt.IsZero() && time.Since(c.monCheckedAt) < monitoringDiscoveryInterval {
		return c.monServed
	}
	c.monServed = c.discoverServiceMonitors(ctx, c.monServed)
	c.monCheckedAt = time.Now()
	return c.monServed
}

// discoverServiceMonitors asks discovery; on an error other than "not served" it keeps last, so a flaky API
// server does not delete and recreate every ServiceMonitor.
func (c *Controller) discoverServiceMonitors(ctx context.Context, last bool) bool {
	list, err := c.kube.Discovery().ServerResourcesForGroupVersion(monitoringv1.SchemeGroupVersion.String())
	switch {
	case apierrors.IsNotFound(err):
		return false
	case err != nil:
		klog.FromContext(ctx).Error(err, "Discovery of ServiceMonitors failed, keeping the last answer", "served", last)
		return last
	}
	for _, r := range list.APIResources {
		if r.Name == monitoringv1.ServiceMonitorName {
			return true
		}
	}
	return false
}

// watchMonitoringDiscovery refreshes the discovery answer every interval and queues every collector for a full
// sync when it changed, so installing the Prometheus Operator after the collectors gives them their
// ServiceMonitors without any other event.
func (c *Controller) watchMonitoringDiscovery(ctx context.Context) {
	if c.monitoring == nil {
		return
	}
	c.monMu.Lock()
	before := c.monServed
	known := !c.monCheckedAt.IsZero()
	c.monServed = c.discoverServiceMonitors(ctx, before)
	c.monCheckedAt = time.Now()
	changed := known && c.monServed != before
	c.monMu.Unlock()
	if !changed {
		return
	}
	klog.FromContext(ctx).Info("ServiceMonitors served changed, syncing every collector", "served", !before)
	for ns, s := range c.scopes {
		cols, err := s.Collectors.Lister().List(labels.Everything())
		if err != nil {
			continue
		}
		for _, col := range cols {
			if ns == "" || col.Namespace == ns {
				c.enqueue(col.Namespace+"/"+col.Name, true)
			}
		}
	}
}
