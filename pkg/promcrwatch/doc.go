// Package promcrwatch keeps the Target Allocator's Prometheus CR jobs current: it watches ServiceMonitors,
// PodMonitors, Probes and ScrapeConfigs (the kinds whose CRDs the cluster serves), the Secrets and ConfigMaps they
// reference and the namespaces their selectors look at, and on every change recomputes the scrape configs with
// promcr.Select and promcr.Generate and hands them to a sink.
//
// Bursts of changes (a Helm release creating fifty monitors, a Secret rotation) are coalesced: the first change
// opens a short window, and one recomputation covers everything that arrived in it. Invalid monitors and
// selectors that select nothing are reported as Events on the OpenTelemetryCollector object and as metrics, each
// Event only when its message changes, so a steady state is quiet.
//
// The package builds no clients and no informer factories: the caller's factories are shared with the rest of
// the process and started by the caller after New.
package promcrwatch
