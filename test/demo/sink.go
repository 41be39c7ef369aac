package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sinkAddr is where the local example's otlphttp exporter sends (manifests/examples/collector-with-local-targets.yaml).
const sinkAddr = "127.0.0.1:19100"

// collectorHeader carries the sending collector's POD_NAME, set by the local example's exporter headers.
const collectorHeader = "X-Collector-Pod"

// scrapedTarget is a target as the prometheus receiver names it in its resource: service.name is the job,
// service.instance.id the instance (host:port).
type scrapedTarget struct{ job, instance string }

// sink is a small OTLP/HTTP metrics endpoint that counts the samples each collector sent, per scraped target.
// It reads OTLP/JSON (the example sets encoding: json) with encoding/json, so the demo needs no OTLP library.
type sink struct {
	mu      sync.Mutex
	samples map[string]map[scrapedTarget]int       // collector -> target -> samples since the last reset
	last    map[string]map[scrapedTarget]time.Time // collector -> target -> time of the last sample
	server  *http.Server
}

// otlpMetrics is the part of an OTLP/JSON ExportMetricsServiceRequest the sink reads.
type otlpMetrics struct {
	ResourceMetrics []struct {
		Resource struct {
			Attributes []struct {
				Key   string `json:"key"`
				Value struct {
					StringValue string `json:"stringValue"`
				} `json:"value"`
			} `json:"attributes"`
		} `json:"resource"`
		ScopeMetrics []struct {
			Metrics []struct {
				Gauge                *otlpPoints `json:"gauge"`
				Sum                  *otlpPoints `json:"sum"`
				Histogram            *otlpPoints `json:"histogram"`
				ExponentialHistogram *otlpPoints `json:"exponentialHistogram"`
				Summary              *otlpPoints `json:"summary"`
			} `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type otlpPoints struct {
	DataPoints []struct {
		// Flags bit 0 is NO_RECORDED_VALUE: the staleness marker a collector sends when it stops scraping a target,
		// which is not a sample of a scrape.
		Flags uint32 `json:"flags"`
	} `json:"dataPoints"`
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", sinkAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the OTLP sink (is another demo running?): %w", sinkAddr, err)
	}
	s := &sink{samples: map[string]map[scrapedTarget]int{}, last: map[string]map[scrapedTarget]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", s.receive)
	s.server = &http.Server{Handler: mux}
	go func() {
		if err := s.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("OTLP sink stopped:", err)
		}
	}()
	return s, nil
}

func (s *sink) close() { _ = s.server.Close() }

func (s *sink) receive(w http.ResponseWriter, r *http.Request) {
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	var req otlpMetrics
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		http.Error(w, "the demo's sink reads OTLP/JSON only: "+err.Error(), http.StatusBadRequest)
		return
	}
	collector := r.Header.Get(collectorHeader)
	now := time.Now()
	s.mu.Lock()
	for _, rm := range req.ResourceMetrics {
		var t scrapedTarget
		for _, a := range rm.Resource.Attributes {
			switch a.Key {
			case "service.name":
				t.job = a.Value.StringValue
			case "service.instance.id":
				t.instance = a.Value.StringValue
			}
		}
		n := 0
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				for _, p := range []*otlpPoints{m.Gauge, m.Sum, m.Histogram, m.ExponentialHistogram, m.Summary} {
					if p == nil {
						continue
					}
					for _, dp := range p.DataPoints {
						if dp.Flags&1 == 0 {
							n++
						}
					}
				}
			}
		}
		if n == 0 {
			continue
		}
		if s.samples[collector] == nil {
			s.samples[collector] = map[scrapedTarget]int{}
			s.last[collector] = map[scrapedTarget]time.Time{}
		}
		s.samples[collector][t] += n
		s.last[collector][t] = now
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

// recent returns, per collector, the targets it sent samples of within the last d.
func (s *sink) recent(d time.Duration) map[string]map[scrapedTarget]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[scrapedTarget]bool{}
	since := time.Now().Add(-d)
	for c, targets := range s.last {
		for t, at := range targets {
			if at.After(since) {
				if out[c] == nil {
					out[c] = map[scrapedTarget]bool{}
				}
				out[c][t] = true
			}
		}
	}
	return out
}

// takeSamples returns the samples counted since the previous call, per collector and target, and starts over.
func (s *sink) takeSamples() map[string]map[scrapedTarget]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.samples
	s.samples = map[string]map[scrapedTarget]int{}
	return out
}
