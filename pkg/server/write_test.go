package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// countingListener counts the writes made to its connections (each one a write(2) on a real socket).
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// A large http_sd response reaches the connection in a few writes, not one per 4 KB of net/http's buffer.
func TestLargeResponseFewWrites(t *testing.T) {
	a, err := allocator.New(allocator.LeastWeighted, "")
	if err != nil {
		t.Fatal(err)
	}
	a.SetCollectors([]target.Collector{{Name: "col-0", PodIP: "10.0.0.1"}})
	ts := make([]*target.Target, 20_000)
	for i := range ts {
		addr := fmt.Sprintf("10.0.%d.%d:8080", i>>8, i&255)
		ts[i] = &target.Target{Hash: uint64(i + 1), Address: addr, Item: item(addr)}
	}
	a.Apply(target.JobChange{Job: "big", Upsert: ts})
	want := a.Snapshot().Response("big", "col-0")
	if len(want) < 1<<20 {
		t.Fatalf("response only %d bytes", len(want))
	}
	reg := prometheus.NewRegistry()
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: reg, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s)
	writes := &atomic.Int64{}
	srv.Listener = countingListener{Listener: srv.Listener, writes: writes}
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/jobs/big/targets?collector_id=col-0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Fatalf("body differs: %d bytes, want %d", len(b), len(want))
	}
	if resp.ContentLength != int64(len(want)) {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(want))
	}
	// The body goes out in 256 KB chunks, each in one write once the headers are out: a write per 4 KB of
	// net/http's buffer would be about 370 here.
	if n, limit := writes.Load(), int64(3+len(want)/(256<<10)); n > limit {
		t.Errorf("%d writes to the connection for %d bytes, want at most %d", n, len(want), limit)
	}
}
