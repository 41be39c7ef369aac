package promcrwatch

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
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

func (r *reporter) report(errs []*promcr.ResourceError, c counts, selectorsSet bool) {
	seen := make(map[string]bool, len(errs))
	for _, e := range errs {
		key := fmt.Sprintf("%s %s/%s", e.Kind, e.Namespace, e.Name)
		seen[key] = true
		msg := e.Error()
		if r.invalid[key] == msg {
			continue
		}
		r.invalid[key] = msg
		klog.InfoS("Monitoring resource is invalid; it produces no scrape jobs", "kind", e.Kind,
			"namespace", e.Namespace, "name", e.Name, "err", e.Err)
		r.event(corev1.EventTypeWarning, ReasonMonitorInvalid, msg)
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
	// The API server caps an Event message at 1024 bytes; a long error is cut rather than the Event refused.
	const maxLen = 1000
	if len(msg) > maxLen {
		msg = strings.ToValidUTF8(msg[:maxLen], "") + "..."
	}
	r.recorder.Event(r.collector, eventType, reason, msg)
}
