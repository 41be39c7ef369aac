package server

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// discardWriter is a ResponseWriter that drops the body, so the benchmark measures the handler, not a buffer.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header               { return w.h }
func (w *discardWriter) WriteHeader(int)                   {}
func (w *discardWriter) Write(b []byte) (int, error)       { return len(b), nil }
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }

// BenchmarkHTTPSD serves one collector's list for one job with 100k targets in 10 jobs on 10 collectors, the
// reference's setting (its p50 there: 20 ms): about 1000 targets, 700 kB, per response; with the response
// cache (the body written in one Write) and without (written from the items in chunks).
func BenchmarkHTTPSD(b *testing.B) {
	b.Run("cached", func(b *testing.B) { benchmarkHTTPSD(b, allocator.WithResponseCache(256<<20)) })
	b.Run("uncached", func(b *testing.B) { benchmarkHTTPSD(b) })
}

func benchmarkHTTPSD(b *testing.B, opts ...allocator.Option) {
	a, err := allocator.New("", "", opts...)
	if err != nil {
		b.Fatal(err)
	}
	cs := make([]target.Collector, 10)
	for i := range cs {
		cs[i] = target.Collector{Name: fmt.Sprintf("collector-%d", i)}
	}
	a.SetCollectors(cs)
	r := rand.New(rand.NewPCG(1, 1))
	for j := range 10 {
		ts := make([]*target.Target, 10_000)
		for i := range ts {
			addr := fmt.Sprintf("10.%d.%d.%d:8080", j, i>>8, i&255)
			ts[i] = &target.Target{Hash: r.Uint64(), Address: addr, Item: fmt.Appendf(nil,
				`{"targets":[%q],"labels":{"__address__":%q,"__meta_kubernetes_namespace":"team-%d",`+
					`"__meta_kubernetes_pod_name":"app-%d-7f9c8d6b5-x2x9q","__meta_kubernetes_pod_node_name":"node-%d",`+
					`"__meta_kubernetes_pod_uid":"0f6e7a2c-3b1d-4e5f-8a9b-%012d","__meta_kubernetes_pod_ready":"true",`+
					`"__meta_kubernetes_pod_phase":"Running","__meta_kubernetes_pod_label_app":"app-%d",`+
					`"__meta_kubernetes_pod_container_name":"server","__meta_kubernetes_pod_container_port_name":"metrics",`+
					`"__meta_kubernetes_pod_container_port_number":"8080","__meta_kubernetes_pod_controller_kind":"ReplicaSet",`+
					`"__meta_kubernetes_pod_controller_name":"app-%d-7f9c8d6b5"}}`,
				addr, addr, i%50, i, i%100, i, i%1000, i%1000)}
		}
		a.Apply(target.JobChange{Job: fmt.Sprintf("serviceMonitor/ns/job-%d/0", j), Upsert: ts})
	}
	reg := prometheus.NewRegistry()
	s, err := New(Options{Snapshot: a.Snapshot, Registerer: reg, Gatherer: reg})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/jobs/serviceMonitor%2Fns%2Fjob-3%2F0/targets?collector_id=collector-7", nil)
	size := len(a.Snapshot().Response("serviceMonitor/ns/job-3/0", "collector-7"))
	b.Logf("response: %d targets, %d bytes", a.Snapshot().Count("serviceMonitor/ns/job-3/0", "collector-7"), size)
	b.Run("handler", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		w := &discardWriter{h: http.Header{}}
		for b.Loop() {
			clear(w.h)
			s.ServeHTTP(w, req)
		}
	})
	b.Run("over-tcp", func(b *testing.B) {
		srv := httptest.NewServer(s)
		defer srv.Close()
		url := srv.URL + req.URL.RequestURI()
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			resp, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
