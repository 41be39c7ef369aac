package promcrwatch

import (
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

// Event reasons on the OpenTelemetryCollector object.
const (
	ReasonMonitorInvalid     = "MonitorInvalid"
	ReasonNoMonitorsSelected = "NoMonitorsSelected"
	ReasonMonitorsSelected   = "MonitorsSelected"
)

// reporter turns each recomputation's outcome into Events and log lines, but only what changed since the last
// one: a recomputation runs on every Secret or monitor change, and repeating the same Event each time would bury
// the collector's Events (and load the API server) for no news.
type reporter struct {
	recorder  record.EventRecorder // nil: log only
	collector *corev1.ObjectReference
	// invalid holds the last message reported per invalid resource ("Kind ns/name"); a resource that turns
	// valid is forgotten, so turning invalid again is news again.
	invalid map[string]string
	summary string
}

func newReporter(recorder record.EventRecorder, collector *corev1.ObjectReference) *reporter {
	if collector == nil {
		recorder = nil
	}
	return &reporter{recorder: recorder, collector: collector, invalid: map[string]string{}}
}

// counts are the selected resources of one recomputation.
type counts struct {
	serviceMonitors, podMonitors, probes, scrapeConfigs, jobs, invalid int
}

func (c counts) total() int { return c.serviceMonitors + c.podMonitors + c.probes + c.scrapeConfigs }

// report turns one recomputation's outcome into Events: per invalid resource a Warning on the collector and one on
// the resource itself (monitors maps "Kind ns/name" to it; a resource missing there gets none), then a summary.
func (r *reporter) report(errs []*promcr.ResourceError, c counts, selectorsSet bool, monitors map[string]*corev1.ObjectReference) {
	seen := make(map[string]bool, len(errs))
	for _, e := range errs {
		key := monitorKey(e.Kind, e.Namespace, e.Name)
		seen[key] = true
		msg := e.Error()
		if r.invalid[key] == msg {
			continue
		}
		r.invalid[key] = msg
		klog.InfoS("Monitoring resource is invalid; it produces no scrape jobs", "kind", e.Kind,
			"namespace", e.Namespace, "name", e.Name, "err", e.Err)
		r.event(corev1.EventTypeWarning, ReasonMonitorInvalid, msg)
		if ref := monitors[key]; ref != nil && r.recorder != nil {
			// The author of the monitor may not see the collector's Events; this one shows in
			// kubectl describe on the monitor. The message names the collector that rejected it.
			r.recorder.Event(ref, corev1.EventTypeWarning, ReasonMonitorInvalid,
				truncate(fmt.Sprintf("rejected by the target allocator of %s/%s: %v", r.collector.Namespace, r.collector.Name, e.Err)))
		}
	}
	for key := range r.invalid {
		if !seen[key] {
			delete(r.invalid, key)
		}
	}

	reason, eventType, msg := ReasonMonitorsSelected, corev1.EventTypeNormal, fmt.Sprintf(
		"selected %d ServiceMonitors, %d PodMonitors, %d Probes, %d ScrapeConfigs: %d scrape jobs, %d invalid resources",
		c.serviceMonitors, c.podMonitors, c.probes, c.scrapeConfigs, c.jobs, c.invalid)
	if c.total() == 0 {
		if !selectorsSet {
			// Nothing asked for, nothing selected: not worth a warning (the TA may serve static jobs only).
			msg = "no prometheus_cr resource selector is set; no monitoring resources are selected"
		} else {
			reason, eventType = ReasonNoMonitorsSelected, corev1.EventTypeWarning
			msg = "the prometheus_cr selectors select no ServiceMonitor, PodMonitor, Probe or ScrapeConfig"
		}
	}
	if len(errs) > 0 {
		// The summary is newer than the per-resource Warnings above; as a Normal Event it would turn the
		// collector's PrometheusCRDiscovery condition True while a resource is still invalid.
		reason, eventType = ReasonMonitorInvalid, corev1.EventTypeWarning
		msg = fmt.Sprintf("%s; %s", msg, errs[0].Error())
	}
	if summary := reason + ": " + msg; summary != r.summary {
		r.summary = summary
		klog.InfoS("Prometheus CR selection changed", "reason", reason, "message", msg)
		// Always reported, also when no selector is set, so the operator's condition never waits for ever.
		r.event(eventType, reason, msg)
	}
}

func (r *reporter) event(eventType, reason, msg string) {
	if r.recorder == nil {
		return
	}
	r.recorder.Event(r.collector, eventType, reason, truncate(msg))
}

// truncate keeps an Event message under the API server's 1024-byte cap: a long error is cut rather than the Event
// refused.
func truncate(msg string) string {
	const maxLen = 1000
	if len(msg) > maxLen {
		msg = strings.ToValidUTF8(msg[:maxLen], "") + "..."
	}
	return msg
}

func monitorKey(kind, namespace, name string) string {
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}

// monitorRefs are the Event targets of the selected resources, by monitorKey. The UID lets kubectl describe
// match the Event to the object.
func monitorRefs(res promcr.Resources) map[string]*corev1.ObjectReference {
	out := map[string]*corev1.ObjectReference{}
	add := func(kind, apiVersion string, o metav1.Object) {
		out[monitorKey(kind, o.GetNamespace(), o.GetName())] = &corev1.ObjectReference{
			APIVersion: apiVersion, Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName(), UID: o.GetUID(),
			ResourceVersion: o.GetResourceVersion(),
		}
	}
	v1 := monitoringv1.SchemeGroupVersion.String()
	for _, o := range res.ServiceMonitors {
		add(promcr.KindServiceMonitor, v1, o)
	}
	for _, o := range res.PodMonitors {
		add(promcr.KindPodMonitor, v1, o)
	}
	for _, o := range res.Probes {
		add(promcr.KindProbe, v1, o)
	}
	for _, o := range res.ScrapeConfigs {
		add(promcr.KindScrapeConfig, monitoringv1alpha1.SchemeGroupVersion.String(), o)
	}
	return out
}
