package discovery

// Origin is one discovery entry behind a target: the target group it came from (its source, as the SD mechanism
// names it) and its index there. Several origins mean several entries relabeled to the same target, which is
// served once, with the labels of the served entry.
type Origin struct {
	// Provider is the SD provider's position among the job's service discovery configs.
	Provider int    `json:"provider"`
	Group    string `json:"group"`
	Index    int    `json:"index"`
	Served   bool   `json:"served"`
}

// Origins returns the entries of job that make up the target with identity hash, the served one first; nil when
// there is no such target. It is for explaining a target on request and takes the processing lock.
func (d *Discovery) Origins(job string, hash uint64) []Origin {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc.Origins(job, hash)
}

// Origins is Discovery.Origins without the lock.
func (p *Processor) Origins(job string, hash uint64) []Origin {
	js := p.jobs[job]
	if js == nil {
		return nil
	}
	served, ok := js.slots[hash]
	if !ok {
		return nil
	}
	out := []Origin{{Provider: int(served.g.ord), Group: served.g.src, Index: int(served.idx), Served: true}}
	for _, r := range js.dups[hash] {
		if !r.same(served) {
			out = append(out, Origin{Provider: int(r.g.ord), Group: r.g.src, Index: int(r.idx)})
		}
	}
	return out
}
