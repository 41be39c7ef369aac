package allocator

import "time"

// durationBounds are the histogram's upper bounds in seconds: from a small job change to a full reallocation
// of a million targets.
var durationBounds = [...]float64{0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10}

// durationHistogram accumulates allocation durations. It is a value, so each snapshot carries its own copy and
// the server can export it without sharing mutable state with the allocator.
type durationHistogram struct {
	count   uint64
	sum     float64
	buckets [len(durationBounds)]uint64 // cumulative
}

func (h *durationHistogram) observe(d time.Duration) {
	v := d.Seconds()
	h.count++
	h.sum += v
	for i, b := range durationBounds {
		if v <= b {
			h.buckets[i]++
		}
	}
}

func (h durationHistogram) export() (uint64, float64, map[float64]uint64) {
	m := make(map[float64]uint64, len(durationBounds))
	for i, b := range durationBounds {
		m[b] = h.buckets[i]
	}
	return h.count, h.sum, m
}
