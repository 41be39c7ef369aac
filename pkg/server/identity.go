package server

import (
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// Why a collector_id was not taken as is. A fixed set, so it can be a metric label.
type idReason uint8

const (
	reasonEmpty       idReason = iota // collector_id= with nothing: ${env:POD_NAME} with POD_NAME unset
	reasonPlaceholder                 // still holds '$': a current collector leaves a bare $POD_NAME as text
	reasonUnknown                     // a name no live collector has: a pod that left, or a typo
	numReasons
)

var reasonNames = [numReasons]string{"empty", "placeholder", "unknown"}

func (r idReason) String() string { return reasonNames[r] }

// classify reports why id names no collector the TA answers (a live one, or a draining one that still holds
// targets during a handoff), or ok when it does. Such a name always wins over the source address: a pod asking
// with another pod's valid name gets that name's share, as in the reference.
func classify(snap *allocator.Snapshot, id string) (reason idReason, ok bool) {
	switch {
	case snap.HasCollector(id):
		return 0, true
	case id == "":
		return reasonEmpty, false
	case strings.Contains(id, "$"):
		return reasonPlaceholder, false
	default:
		return reasonUnknown, false
	}
}

// remoteIP is the request's source address from the connection. X-Forwarded-For and similar headers are
// ignored on purpose: any client can write them, and collectors reach the TA directly (a ClusterIP Service keeps
// the pod's source address), so the connection is the only trustworthy witness of which pod is asking.
// IPv4-mapped IPv6 addresses (a dual-stack listener) compare equal to their IPv4 pod IPs.
func remoteIP(r *http.Request) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return normIP(ap.Addr()), true
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil { // in-process callers may set no port
		return normIP(a), true
	}
	return netip.Addr{}, false
}

func normIP(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// podsAtIP is who has one pod IP: the single collector's name when count is 1.
type podsAtIP struct {
	name  string
	count int
}

// ipIndex maps pod IPs to collectors for one snapshot. Snapshots are immutable, so the index is built once per
// snapshot (on the first fallback after a change) rather than by a scan of every collector per request.
type ipIndex struct {
	snap *allocator.Snapshot
	byIP map[netip.Addr]podsAtIP
}

func buildIPIndex(snap *allocator.Snapshot) *ipIndex {
	idx := &ipIndex{snap: snap, byIP: map[netip.Addr]podsAtIP{}}
	for _, c := range snap.Collectors() {
		a, err := netip.ParseAddr(c.PodIP)
		if err != nil { // no IP yet (pending pod): it cannot be matched
			continue
		}
		a = normIP(a)
		p := idx.byIP[a]
		p.name, p.count = c.Name, p.count+1
		idx.byIP[a] = p
	}
	return idx
}

// ipIndexCache holds the index of the latest snapshot seen. Concurrent requests may both build it after a
// change; either result is right for its snapshot, so the race costs only a little work.
type ipIndexCache struct{ p atomic.Pointer[ipIndex] }

func (c *ipIndexCache) lookup(snap *allocator.Snapshot, ip netip.Addr) podsAtIP {
	idx := c.p.Load()
	if idx == nil || idx.snap != snap {
		idx = buildIPIndex(snap)
		c.p.Store(idx)
	}
	return idx.byIP[ip]
}

// collectorID resolves the collector a request with a collector_id parameter is for. A name the TA answers (live,
// or draining during a handoff) is used as is. Otherwise (empty, an unexpanded placeholder, or a name no live collector has) the request's source IP
// decides when it is the pod IP of exactly one live collector: that collector gets its own share, the very
// bytes its real id would get, so a collector whose placeholder did not expand still scrapes. Either way the
// miss is recorded, so users learn to fix the placeholder; with no unique pod the id is returned unchanged and
// the request gets "[]" (ok is false).
func (s *Server) collectorID(r *http.Request, snap *allocator.Snapshot, job, id string) (name string, ok bool) {
	reason, ok := classify(snap, id)
	if ok {
		return id, true
	}
	ip, hasIP := remoteIP(r)
	var pods podsAtIP
	if hasIP {
		pods = s.ipIndex.lookup(snap, ip)
	}
	src := r.RemoteAddr
	if hasIP {
		src = ip.String()
	}
	if pods.count == 1 {
		s.ids.fallback(r.Context(), snap, pods.name, id, reason, src, job)
		return pods.name, true
	}
	s.ids.unmatched(r.Context(), id, reason, src, pods.count, job)
	return "", false
}
