package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
)

// metricsTarget is a small real scrape target: it serves Prometheus text on /metrics and counts its scrapes.
type metricsTarget struct {
	addr    string
	scrapes atomic.Int64
	server  *http.Server
}

// startTargets listens on every address; the addresses are the static targets of the local example.
func startTargets(ctx context.Context, addrs []string) ([]*metricsTarget, error) {
	var targets []*metricsTarget
	for _, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			stopTargets(targets)
			return nil, fmt.Errorf("listen on %s for a demo target (is another demo running?): %w", addr, err)
		}
		t := &metricsTarget{addr: addr}
		mux := http.NewServeMux()
		mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
			n := t.scrapes.Add(1)
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "# TYPE demo_scrapes_total counter\ndemo_scrapes_total{target=%q} %d\n", addr, n)
		})
		t.server = &http.Server{Handler: mux}
		go func() {
			if err := t.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Println("demo target", addr, "stopped:", err)
			}
		}()
		targets = append(targets, t)
	}
	go func() { <-ctx.Done(); stopTargets(targets) }()
	return targets, nil
}

func stopTargets(targets []*metricsTarget) {
	for _, t := range targets {
		_ = t.server.Close()
	}
}
