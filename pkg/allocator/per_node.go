package allocator

import "k8s.io/klog/v2"

// perNode gives a target to a collector on the target's node (Target.Node == Collector.Node). When several
// collectors share a node (a rollout), rendezvous hashing picks one, so the result stays a pure function of
// (targets, collectors). Targets without a node go to the fallback strategy when there is one; otherwise they,
// and targets whose node has no collector, stay unassigned: counted in the snapshot and logged, never dropped
// silently.
type perNode struct {
	fallback strategy // nil: no fallback
}

func (perNode) nodeSensitive() bool { return true }

func (p perNode) place(s *state, j *job, pos []int32) {
	var nodeless []int32
	noCollector := 0
	for _, i := range pos {
		t := j.slots[i].t
		if t.Node == "" {
			nodeless = append(nodeless, i)
			continue
		}
		g := s.colls.byNode[t.Node]
		if g == nil {
			noCollector++
			continue
		}
		s.assign(j, i, rendezvous(t.PlacementKey(), g))
	}
	if noCollector > 0 && len(s.colls.live.ids) > 0 {
		klog.V(2).InfoS("per-node: targets whose node has no collector stay unassigned", "job", j.name,
			"count", noCollector)
	}
	if len(nodeless) == 0 {
		return
	}
	if p.fallback != nil {
		p.fallback.place(s, j, nodeless)
		return
	}
	if j.nodelessLogged {
		klog.V(4).InfoS("per-node: more targets without a node stay unassigned", "job", j.name, "count", len(nodeless))
		return
	}
	j.nodelessLogged = true
	klog.InfoS("per-node: targets without a node stay unassigned (logged once per job; the unassigned count is in "+
		"opentelemetry_allocator_targets_unassigned); set allocation_fallback_strategy to assign them",
		"job", j.name, "count", len(nodeless))
}

func (p perNode) rebalance(s *state, j *job, pos []int32, added []int32) {
	addedNodes := map[string]bool{}
	for _, a := range added {
		if n := s.colls.all[a].Node; n != "" {
			addedNodes[n] = true
		}
	}
	var nodeless []int32
	for _, i := range pos {
		t := j.slots[i].t
		if t.Node == "" {
			nodeless = append(nodeless, i)
			continue
		}
		if addedNodes[t.Node] {
			s.assign(j, i, rendezvous(t.PlacementKey(), s.colls.byNode[t.Node]))
		}
	}
	if p.fallback != nil && len(nodeless) > 0 {
		p.fallback.rebalance(s, j, nodeless, added)
	}
}
