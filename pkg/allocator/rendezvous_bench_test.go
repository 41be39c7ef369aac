package allocator

import "testing"

func BenchmarkRendezvous(b *testing.B) {
	var g group
	for i := range 100 {
		g.add(int32(i), seedOf(string(rune('a'+i))))
	}
	h := uint64(12345)
	var sink int32
	for b.Loop() {
		h = mix(h)
		sink += rendezvous(h, &g)
	}
	_ = sink
}
