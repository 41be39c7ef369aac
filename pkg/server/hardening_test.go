package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// TestMadeUpMethodsAreOneSeries plays a client that sends 2000 invented methods: the request-duration metric
// keeps at most GET, HEAD and "other" as method labels, instead of a series per method for ever.
func TestMadeUpMethodsAreOneSeries(t *testing.T) {
	_, s, reg, _ := fixture(t)
	for i := range 2000 {
		rec := fetchMethod(s, fmt.Sprintf("X-MADE-UP-%d", i), "/jobs")
		if rec != http.StatusMethodNotAllowed {
			t.Fatalf("made-up method got %d, want 405", rec)
		}
	}
	fetchMethod(s, http.MethodGet, "/jobs")
	fetchMethod(s, http.MethodHead, "/jobs")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]bool{}
	series := 0
	for _, mf := range mfs {
		if mf.GetName() != "targetallocator_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			series++
			for _, l := range m.GetLabel() {
				if l.GetName() == "method" {
					methods[l.GetValue()] = true
				}
			}
		}
	}
	if len(methods) > 3 || series > 3 {
		t.Errorf("%d series with %d method labels after 2000 made-up methods, want at most 3", series, len(methods))
	}
	for _, want := range []string{"GET", "HEAD", "other"} {
		if !methods[want] {
			t.Errorf("no series for method %q: %v", want, methods)
		}
	}
}

func fetchMethod(h http.Handler, method, target string) int {
	w := &discardWriter{h: http.Header{}}
	rec := &statusRecorder{discardWriter: w, code: http.StatusOK}
	r, _ := http.NewRequest(http.MethodGet, target, nil)
	r.Method = method
	h.ServeHTTP(rec, r)
	return rec.code
}

type statusRecorder struct {
	*discardWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code }

// serve runs h behind NewHTTPServer with l on a local port, the way the TA's main runs both listeners.
func serve(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(h, l)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestIdleConnectionClosed plays a client that opens a keep-alive connection and then holds it without asking
// anything: the server closes it once the idle timeout passed, instead of holding it for ever.
func TestIdleConnectionClosed(t *testing.T) {
	_, s, _, _ := fixture(t)
	// Only the idle timeout is short: the other limits keep their defaults, so nothing else closes the connection.
	addr := serve(t, s, Limits{IdleTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	fmt.Fprintf(conn, "GET /livez HTTP/1.1\r\nHost: ta\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("the server did not keep the connection alive; the test needs a kept-alive connection")
	}
	// Wait for the server's close (EOF) well past the idle timeout but far below any other limit (the read
	// timeout is 30 s): reaching this deadline means the idle connection was still held.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection not closed by the server: read gave %v, want EOF", err)
	}
}

// TestOversizedHeadersRefused plays a client sending 512 KB of headers, which net/http's default limit (1 MB)
// would read into memory: the TA's listeners refuse it with 431.
func TestOversizedHeadersRefused(t *testing.T) {
	_, s, _, _ := fixture(t)
	addr := serve(t, s, DefaultLimits)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/livez", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 512<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("512 KB of headers got %d, want 431", resp.StatusCode)
	}
	// A normal request on the same server still works.
	resp, err = http.Get("http://" + addr + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("normal request got %d", resp.StatusCode)
	}
}

func TestNewHTTPServerFillsEveryLimit(t *testing.T) {
	srv := NewHTTPServer(http.NotFoundHandler(), Limits{})
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 ||
		srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes >= http.DefaultMaxHeaderBytes {
		t.Errorf("a zero Limits left a bound unset: %+v", srv)
	}
	srv = NewHTTPServer(http.NotFoundHandler(), Limits{IdleTimeout: time.Second, MaxHeaderBytes: 100})
	if srv.IdleTimeout != time.Second || srv.MaxHeaderBytes != 100 || srv.ReadTimeout != DefaultLimits.ReadTimeout {
		t.Errorf("given limits not kept: %+v", srv)
	}
}

// debugMapAllocs serves the all-collectors debug map of a job with n targets on 10 collectors and returns the
// bytes allocated per request and the size of the response.
func debugMapAllocs(t *testing.T, n int) (perRequest uint64, size int) {
	a, err := allocator.New(allocator.ConsistentHashing, "")
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]target.Collector, 10)
	for i := range cs {
		cs[i] = target.Collector{Name: fmt.Sprintf("collector-%d", i)}
	}
	a.SetCollectors(cs)
	ts := make([]*target.Target, n)
	for i := range ts {
		addr := fmt.Sprintf("10.0.%d.%d:8080", i>>8, i&255)
		ts[i] = &target.Target{Hash: uint64(i)*0x9e3779b97f4a7c15 + 1, Address: addr, Item: item(addr)}
	}
	a.Apply(target.JobChange{Job: "job", Upsert: ts})
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "/jobs/job/targets", nil)
	w := &countingWriter{h: http.Header{}}
	s.ServeHTTP(w, req)
	size = w.n
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		clear(w.h)
		s.ServeHTTP(w, req)
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs, size
}

type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header               { return w.h }
func (w *countingWriter) WriteHeader(int)                   {}
func (w *countingWriter) Write(b []byte) (int, error)       { w.n += len(b); return len(b), nil }
func (w *countingWriter) WriteString(s string) (int, error) { w.n += len(s); return len(s), nil }

// TestDebugMapMemoryBounded plays a client asking for the all-collectors debug map over and over: each request
// must cost the same few KB however many targets the job has, not a copy of the whole map (700 MB per request at
// a million targets before). Allocated bytes are measured, not time.
func TestDebugMapMemoryBounded(t *testing.T) {
	small, smallSize := debugMapAllocs(t, 1_000)
	large, largeSize := debugMapAllocs(t, 50_000)
	t.Logf("debug map: %d targets -> %d B response, %d B allocated per request; %d targets -> %d B, %d B",
		1_000, smallSize, small, 50_000, largeSize, large)
	if largeSize < 40*smallSize {
		t.Fatalf("the large map (%d B) is not much larger than the small one (%d B): fixture broken", largeSize, smallSize)
	}
	if large > 16<<10 {
		t.Errorf("a debug-map request of %d B allocates %d B, want a constant few KB", largeSize, large)
	}
	if large > 2*small+1024 {
		t.Errorf("allocation per request grows with the targets: %d B at 1k, %d B at 50k", small, large)
	}
}

// TestSlowReadersHoldBoundedMemory plays clients that ask for a large http_sd response and never read it. Each
// stalled request would hold a 256 KB chunk buffer until the write timeout; the TA's heap must not grow with the
// number of such clients beyond the bounded set of buffers (16 MiB) and net/http's own few KB a connection.
func TestSlowReadersHoldBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 300 connections")
	}
	a, err := allocator.New(allocator.ConsistentHashing, "") // no response cache: every body from the items
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "col-0", PodIP: "10.0.0.1"}})
	ts := make([]*target.Target, 30_000)
	for i := range ts {
		addr := fmt.Sprintf("10.%d.%d.%d:8080", i>>16, (i>>8)&255, i&255)
		ts[i] = &target.Target{Hash: uint64(i)*0x9e3779b97f4a7c15 + 1, Address: addr, Item: item(addr)}
	}
	a.Apply(target.JobChange{Job: "big", Upsert: ts})
	if n := a.Snapshot().Body("big", "col-0").Len(); n < 2<<20 {
		t.Fatalf("response only %d bytes: too small to stall a writer", n)
	}
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	// Small socket buffers on both sides, so that a stalled client blocks its handler after a few KB rather than
	// after the megabytes the kernel would otherwise queue.
	srv := httptest.NewUnstartedServer(s)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const clients = 300
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range clients {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		fmt.Fprintf(c, "GET /jobs/big/targets?collector_id=col-0 HTTP/1.1\r\nHost: ta\r\n\r\n")
	}
	// Let every handler write until its connection's buffers are full and it blocks.
	var after runtime.MemStats
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		runtime.ReadMemStats(&after)
	}
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d stalled clients: heap in use grew by %d KB", clients, grown>>10)
	if grown > 40<<20 {
		t.Fatalf("%d stalled clients grew the heap by %d MB: stalled writes hold memory without bound", clients, grown>>20)
	}
}

// smallSendBuffers gives every accepted connection a 16 KB kernel send buffer.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}
