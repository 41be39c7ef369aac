package allocator

import (
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Body is one (job, collector) http_sd response: "[" + its targets' items joined by "," + "]". The zero Body is
// "[]". It is a view of an immutable snapshot, so any number of requests may write it at once.
type Body struct {
	p     *pair
	cache *responseCache
}

// responseCache bounds the memory of assembled bodies. Writing a body from its items copies each item, from
// wherever the heap put it, into a chunk: at 10 MB a response that copy is about half of the TA's CPU per
// request. A body within the budget is assembled once, on its first request, and later requests of the same
// pair write it with one Write. The budget counts every assembled body until its pair is garbage (a runtime
// cleanup returns its bytes), old snapshots included, and a body is reserved before it is assembled, so the
// cache never holds more than budget bytes. Two first requests that each fit but not together may both go
// without: the budget is never overcommitted, at the price of a rare miss.
type responseCache struct {
	budget int64
	used   atomic.Int64
}

// WithResponseCache lets up to budget bytes of http_sd bodies be kept assembled (see Body); 0, the default, keeps
// none and writes every body from its items.
func WithResponseCache(budget int64) Option {
	return func(a *Allocator) { a.st.cache = &responseCache{budget: budget} }
}

// CachedResponseBytes is the memory the assembled bodies hold, for a metric.
func (a *Allocator) CachedResponseBytes() int64 {
	if a.st.cache == nil {
		return 0
	}
	return a.st.cache.used.Load()
}

// reserve takes n bytes of the budget, or reports that they are not there.
func (c *responseCache) reserve(n int) bool {
	if c == nil || c.budget <= 0 {
		return false
	}
	if c.used.Add(int64(n)) > c.budget {
		c.used.Add(-int64(n))
		return false
	}
	return true
}

// assembled returns p's whole body, assembling and keeping it when the budget allows, or "" when it does not.
func (b Body) assembled() string {
	if s := b.p.body.Load(); s != nil {
		return *s
	}
	if !b.cache.reserve(b.p.size) {
		return ""
	}
	var sb strings.Builder
	sb.Grow(b.p.size)
	b.writeItems(&sb)
	s := sb.String()
	if !b.p.body.CompareAndSwap(nil, &s) {
		// Another request assembled it meanwhile: serve theirs, give the reservation back.
		b.cache.used.Add(-int64(b.p.size))
		return *b.p.body.Load()
	}
	cache := b.cache
	runtime.AddCleanup(b.p, func(n int) { cache.used.Add(-int64(n)) }, b.p.size)
	return s
}

// Len is the body's length in bytes, for Content-Length.
func (b Body) Len() int {
	if b.p == nil {
		return len(emptyBody)
	}
	return b.p.size
}

// chunkSize is how much of a body writeChunks assembles before one Write. The items are scattered over the heap;
// a Write per item would be one write(2) per item, or a copy through net/http's 4 KB buffers and a write(2) per
// 4 KB. 256 KB chunks keep the system calls few (about 40 for a 10 MB body) for a copy that costs about a
// millisecond per 10 MB.
const chunkSize = 256 << 10

// maxChunks bounds the chunk buffers out at once (16 MiB). A request holds its buffer while its client reads, up
// to the server's write timeout, and anyone who can reach the TA can open connections and read slowly: past the
// bound a request writes its items one by one through net/http's own buffers, slower but without memory of its
// own. (An assembled body needs no buffer: every request shares it.)
const maxChunks = 64

var (
	chunksOut atomic.Int32
	// freeChunks keeps up to 8 chunk buffers between requests, so a steady request load allocates none. It is a
	// channel rather than a sync.Pool because a pool is emptied by every GC (and, in race builds, drops puts at
	// random): each miss is 256 KB of allocation.
	freeChunks = make(chan []byte, 8)
)

// getChunk takes a chunk buffer, or reports that maxChunks are out.
func getChunk() ([]byte, bool) {
	if chunksOut.Add(1) > maxChunks {
		chunksOut.Add(-1)
		return nil, false
	}
	select {
	case b := <-freeChunks:
		return b[:0], true
	default:
		return make([]byte, 0, chunkSize), true
	}
}

func putChunk(b []byte) {
	chunksOut.Add(-1)
	select {
	case freeChunks <- b:
	default:
	}
}

// WriteTo writes the body to w and returns the bytes written and the first write error. A body the response
// cache holds (or can take) goes out in one Write; any other in chunks of about chunkSize (an item larger than
// a chunk on its own), stopping at the first error.
func (b Body) WriteTo(w io.Writer) (int64, error) {
	if b.p == nil || len(b.p.targets) == 0 {
		n, err := io.WriteString(w, emptyBody)
		return int64(n), err
	}
	if s := b.assembled(); s != "" {
		// One Write of the string's bytes, aliased, not copied (an io.Writer must not modify what it is given):
		// net/http hands a large []byte to the connection in one write(2), where WriteString would copy it
		// through its 4 KB buffer.
		n, err := w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
		// The pair's cleanup gives the string's bytes back to the budget; it must not run while they are
		// being written.
		runtime.KeepAlive(b.p)
		return int64(n), err
	}
	return b.writeChunks(w)
}

// writeChunks writes the body from its items in chunks of about chunkSize, or item by item when no chunk buffer
// is to be had.
func (b Body) writeChunks(w io.Writer) (int64, error) {
	buf, ok := getChunk()
	if !ok {
		return b.writeItems(w)
	}
	defer func() { putChunk(buf) }()
	var written int64
	flush := func() error {
		n, err := w.Write(buf)
		written += int64(n)
		buf = buf[:0]
		return err
	}
	buf = append(buf, '[')
	for i, t := range b.p.targets {
		if i > 0 {
			if len(buf) == chunkSize {
				if err := flush(); err != nil {
					return written, err
				}
			}
			buf = append(buf, ',')
		}
		if len(buf)+len(t.Item) > chunkSize {
			if err := flush(); err != nil {
				return written, err
			}
			if len(t.Item) > chunkSize {
				n, err := w.Write(t.Item)
				written += int64(n)
				if err != nil {
					return written, err
				}
				continue
			}
		}
		buf = append(buf, t.Item...)
	}
	if len(buf) == chunkSize {
		if err := flush(); err != nil {
			return written, err
		}
	}
	buf = append(buf, ']')
	err := flush()
	return written, err
}

// writeItems writes the body a piece at a time: "[", each item with its separator, "]". It is for a writer that
// buffers itself (assembling into a strings.Builder) and for when every chunk buffer is out.
func (b Body) writeItems(w io.Writer) (int64, error) {
	var written int64
	write := func(p string) error {
		n, err := io.WriteString(w, p)
		written += int64(n)
		return err
	}
	if err := write("["); err != nil {
		return written, err
	}
	for i, t := range b.p.targets {
		if i > 0 {
			if err := write(","); err != nil {
				return written, err
			}
		}
		n, err := w.Write(t.Item)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, write("]")
}
