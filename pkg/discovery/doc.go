// Package discovery turns Prometheus service discovery into the Target Allocator's targets.
//
// A prometheus discovery.Manager delivers full snapshots of every job's target groups. The Processor diffs each
// snapshot against what it saw before, per (job, group Source), and rebuilds only the groups whose content changed:
// for each target it computes Prometheus' scrape labels, applies the job's relabel_configs exactly as Prometheus
// would, and derives the target's identity from the result. Only the resulting changes leave the package, as
// []target.JobChange, so the cost downstream follows the size of the change, not the number of targets.
//
// Discovery wraps the Manager: it reads the manager's sync channel promptly, processes the newest snapshot on its
// own goroutine, pushes changes to a sink and reports readiness.
package discovery
