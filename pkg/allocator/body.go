package allocator

import (
	"io"
	"sync"
)

// Body is one (job, collector) http_sd response: "[" + its targets' items joined by "," + "]". The zero Body is
// "[]". It is a view of an immutable snapshot, so any number of requests may write it at once.
type Body struct{ p *pair }

// Len is the body's length in bytes, for Content-Length.
func (b Body) Len() int {
	if b.p == nil {
		return len(emptyBody)
	}
	return b.p.size
}

// chunkSize is how much of a body WriteTo assembles before one Write. The items are scattered over the heap; a
// Write per item would be one write(2) per item, or a copy through net/http's 4 KB buffers and a write(2) per
// 4 KB. 256 KB chunks keep the system calls few (about 40 for a 10 MB body) for a copy that costs about a
// millisecond per 10 MB; the buffers are pooled, so a request allocates nothing.
const chunkSize = 256 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// WriteTo writes the body to w in chunks of about chunkSize (an item larger than a chunk is written on its own)
// and returns the bytes written and the first write error; it stops at that error.
func (b Body) WriteTo(w io.Writer) (int64, error) {
	if b.p == nil || len(b.p.targets) == 0 {
		n, err := io.WriteString(w, emptyBody)
		return int64(n), err
	}
	bufp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bufp)
	buf := (*bufp)[:0]
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
