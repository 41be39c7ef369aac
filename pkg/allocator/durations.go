package allocator

import "time"

// histogramBuckets is the number of upper bounds every histogram here has.
const histogramBuckets = 8

// durationBounds are the allocation histogram's upper bounds in seconds: from a small job change to a full
// reallocation of a million targets.
var durationBounds = [histogramBuckets]float64{0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10}

// durationHistogram accumulates durations against fixed bounds, which the caller passes (durationBounds or
// handoffBounds), so that no copy carries them. It is a value, so each snapshot carries its own copy and the
// server can export it without sharing mutable state with the allocator.
type durationHistogram struct {
	count   uint64
	sum     float64
	buckets [histogramBuckets]uint64 // cumulative
}

func (h *durationHistogram) observe(d time.Duration, bounds *[histogramBuckets]float64) {
	v := d.Seconds()
	h.count++
	h.sum += v
	for i, b := range bounds {
		if v <= b {
			h.buckets[i]++
		}
	}
}

func (h durationHistogram) export(bounds *[histogramBuckets]float64) (uint64, float64, map[float64]uint64) {
	m := make(map[float64]uint64, len(bounds))
	for i, b := range bounds {
		m[b] = h.buckets[i]
	}
	return h.count, h.sum, m
}
