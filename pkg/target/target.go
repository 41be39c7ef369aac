// Package target holds the Target Allocator's unit of work: one discovered scrape target in the compact,
// immutable form that discovery produces, the allocator assigns and the server writes out.
package target

// Target is one scrape target of one job. It is immutable once built: discovery builds it, and the allocator and
// the server share it by pointer without copying, so a million targets cost one allocation each.
type Target struct {
	// Hash is the target's identity within its job: a 64-bit hash of the labels that remain after the job's
	// relabel_configs, without __meta_* labels. Two discovery entries that relabel to the same labels are one
	// target; a change of meta labels alone does not change the identity, so the target does not move.
	Hash uint64
	// Placement is the key the strategies place the target by: a hash of the job name and the relabeled
	// __address__ only. Labels that change with the job's configuration (__scrape_interval__, __metrics_path__,
	// __param_*, a label a relabel rule adds) are part of Hash, so editing them replaces the target, but they do
	// not move it to another collector. Zero means "use Hash" (targets built without discovery, in tests).
	Placement uint64
	// Address is the discovered __address__, kept for debug views.
	Address string
	// Node is the node the target runs on, from the kubernetes SD meta labels; empty when unknown. per-node
	// allocation uses it.
	Node string
	// Item is the target's http_sd entry, encoded once at discovery time:
	// {"targets":["<__address__>"],"labels":{<discovered labels, pre-relabel, __meta_* included>}}.
	// A response is the concatenation of its targets' items, so serving never encodes JSON per request.
	Item []byte
}

// PlacementKey returns Placement, or Hash when Placement is unset.
func (t *Target) PlacementKey() uint64 {
	if t.Placement != 0 {
		return t.Placement
	}
	return t.Hash
}

// JobChange is what discovery hands to the allocator for one job: only what changed, so the work downstream is
// proportional to the change and not to all targets.
type JobChange struct {
	// Job is the scrape job's name (job_name).
	Job string
	// Upsert adds targets, or replaces the target of the same Hash (its served labels changed).
	Upsert []*Target
	// Remove lists the hashes of targets that are gone.
	Remove []uint64
	// Delete drops the job and all its targets (the job left the configuration). Upsert and Remove are ignored.
	Delete bool
}

// Collector is one collector pod: live (it may receive targets) or, with Draining, terminating.
type Collector struct {
	// Name is the pod name, which is also the collector id in collector_id=...
	Name string
	// Node is the node the pod runs on (spec.nodeName).
	Node string
	// PodIP is status.podIP; it lets the server recognise a collector whose id placeholder did not expand, and
	// tells a collector's own fetch from someone else's asking in its name.
	PodIP string
	// Draining marks a pod that is terminating but still running: it gets no targets, and under make-before-break
	// handoff it keeps being served the targets it had until their new owners have fetched them.
	Draining bool
}
