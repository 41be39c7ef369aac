// Package server is the Target Allocator's HTTP API: the reference's routes and JSON shapes (http_sd per job
// and collector, the job list, scrape configs), health, metrics and a small HTML debug page. It only reads the
// allocator's latest immutable snapshot, so a request is a lookup and a write of bytes built in advance.
//
// A collector whose collector_id placeholder did not expand (current collectors leave a bare $POD_NAME as text)
// is recognised by its source IP when that is the pod IP of exactly one collector; callers the TA cannot place
// are logged, counted and listed on the debug page and at /debug/unknown-collectors (identity.go, callers.go).
package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	promconfig "github.com/prometheus/prometheus/config"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// Options are the server's sources; everything it serves comes from them.
type Options struct {
	// Snapshot returns the allocator's latest snapshot (allocator.Allocator.Snapshot). Required.
	Snapshot func() *allocator.Snapshot
	// ScrapeConfigs returns the /scrape_configs body: a JSON object of job name to scrape config. Nil or an empty
	// result serves {}.
	ScrapeConfigs func() []byte
	// Ready reports readiness for /readyz (collectors synced and first discovery done). Nil means always ready.
	// ReadyChecks, when set, are named checks that /readyz?verbose lists; Ready, when also set, is one more
	// check named "ready". Until every check passes, the target routes and /scrape_configs answer 503.
	Ready       func() bool
	ReadyChecks []ReadyCheck
	// Registerer receives the server's metrics; Gatherer is what /metrics exposes. Either may be nil: no metrics
	// are registered, or /metrics is not served.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// ScrapeConfig returns a job's current scrape config; the explain views replay its relabel_configs on a
	// target's discovered labels. Nil: relabel steps are not shown.
	ScrapeConfig func(job string) *promconfig.ScrapeConfig
	// Origins returns the discovery entries behind a target (job, identity hash), for the explain views; nil:
	// not shown. Called only on request.
	Origins func(job string, hash uint64) []Origin
	// Dropped returns up to limit discovered entries of job (every job when empty) that are not targets and that
	// match accepts (given the entry's discovered labels as an http_sd item), and whether more matched; nil: the
	// explain views search targets only. Called only on request.
	Dropped func(job string, match func(item []byte) bool, limit int) ([]DroppedEntry, bool)
	// Pprof serves /debug/pprof/.
	Pprof bool
	// Fetched is told of every http_sd response written to a live collector from its own pod IP: the job, the
	// collector, the generation of the snapshot served and the refresh interval the request announced (0: none).
	// The allocator's ObserveFetch ends the handoffs that waited for it. Nil: nothing is told.
	Fetched func(job, collector string, generation uint64, refresh time.Duration)
}

// Server is the TA's HTTP handler.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	metrics *httpMetrics
	ids     *identityRecord // misidentified collectors: fallbacks and unknown callers
	ipIndex ipIndexCache
	checks  []ReadyCheck
	fetches fetchLog
}

// New builds the handler and registers its metrics on opts.Registerer.
func New(opts Options) (*Server, error) {
	if opts.Snapshot == nil {
		return nil, errors.New("server: Options.Snapshot is required")
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), ids: newIdentityRecord()}
	m, err := registerMetrics(opts.Registerer, opts.Snapshot, s.ids)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.checks = append(s.checks, opts.ReadyChecks...)
	if opts.Ready != nil {
		s.checks = append(s.checks, ReadyCheck{Name: "ready", Ready: opts.Ready})
	}

	// Patterns carry no method: a wrong method must get a JSON 405 from get(), not the mux's plain-text one.
	s.handle("/jobs", "/jobs", s.jobs)
	s.handle("/jobs/{job}/targets", "/jobs/{job}/targets", s.whenReady(s.targets))
	s.handle("/scrape_configs", "/scrape_configs", s.whenReady(s.scrapeConfigs))
	s.handle("/livez", "/livez", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok\n") })
	s.handle("/readyz", "/readyz", s.readyz)
	s.handle("/{$}", "/", s.debugPage)
	s.handle("/debug/unknown-collectors", "/debug/unknown-collectors", s.unknownCollectors)
	s.handle("/debug/target", "/debug/target", s.debugTarget)
	s.handle("/debug/collector", "/debug/collector", s.debugCollector)
	s.handle("/debug/job", "/debug/job", s.debugJob)
	if opts.Pprof {
		s.registerPprof()
	}
	if opts.Gatherer != nil {
		s.handle("/metrics", "/metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}).ServeHTTP)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route for "+r.URL.Path)
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle registers a GET (and HEAD) route, instrumented under a fixed route label so paths with job names do
// not become metric labels.
func (s *Server) handle(pattern, route string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.metrics.instrument(route, get(h)))
}

func get(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
			return
		}
		h(w, r)
	}
}

func (s *Server) scrapeConfigs(w http.ResponseWriter, r *http.Request) {
	var b []byte
	if s.opts.ScrapeConfigs != nil {
		b = s.opts.ScrapeConfigs()
	}
	if len(b) == 0 {
		b = []byte("{}")
	}
	if wantsHTML(r) {
		scrapeConfigsHTML(w, b)
		return
	}
	writeJSON(w, b)
}
