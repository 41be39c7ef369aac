package allocator

import (
	"fmt"
	"strings"
)

// Strategy names, as spelled in the TA config file's allocation_strategy and allocation_fallback_strategy.
const (
	ConsistentHashing = "consistent-hashing"
	LeastWeighted     = "least-weighted"
	PerNode           = "per-node"
)

// Strategies lists the valid strategy names, default first.
func Strategies() []string { return []string{ConsistentHashing, LeastWeighted, PerNode} }

// strategy decides which collector owns a target. It mutates assignments only through state.assign, so counts
// and the set of (job, collector) responses to rebuild stay right whatever the strategy does.
type strategy interface {
	// place gives a collector to the targets at positions pos of j; none of them has a live collector (new
	// targets, targets of a collector that left, targets that found no collector before). A target may stay
	// unassigned (-1) when the strategy has no collector for it.
	place(s *state, j *job, pos []int32)
	// rebalance runs after collectors were added, for targets of j that kept a live collector: a strategy that
	// is a pure function of (targets, collectors) moves those the new collectors now win; a stable one does
	// nothing.
	rebalance(s *state, j *job, pos []int32, added []int32)
	// nodeSensitive reports whether Target.Node affects the result, so that a replaced target whose node
	// changed is placed again.
	nodeSensitive() bool
}

func newStrategy(name, fallback string) (strategy, error) {
	if name == "" {
		name = ConsistentHashing
	}
	var fb strategy
	switch fallback {
	case "":
	case ConsistentHashing:
		fb = consistentHashing{}
	case LeastWeighted:
		fb = leastWeighted{}
	case PerNode:
		return nil, fmt.Errorf("allocation fallback strategy %q: per-node cannot be its own fallback; valid: %s, %s",
			fallback, ConsistentHashing, LeastWeighted)
	default:
		return nil, fmt.Errorf("unknown allocation fallback strategy %q; valid: %s, %s", fallback, ConsistentHashing,
			LeastWeighted)
	}
	switch name {
	case ConsistentHashing:
		return consistentHashing{}, nil
	case LeastWeighted:
		return leastWeighted{}, nil
	case PerNode:
		return perNode{fallback: fb}, nil
	}
	return nil, fmt.Errorf("unknown allocation strategy %q; valid: %s", name, strings.Join(Strategies(), ", "))
}
