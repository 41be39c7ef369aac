package server

import (
	"net/http"
	"strings"
)

// ReadyCheck is one condition of readiness, named in /readyz?verbose.
type ReadyCheck struct {
	Name  string
	Ready func() bool
	// Degraded, when set and returning an error, is shown beside a passing check ("[+]name ok, degraded: ...")
	// without making the TA unready: for sources the TA gave up waiting for (a missing permission) and serves
	// without, so that an admin reading /readyz?verbose learns what is missing.
	Degraded func() error
}

// singleLine keeps a reason on its check's line.
func singleLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// failingCheck returns the name of the first failing check, "" when all pass.
func (s *Server) failingCheck() string {
	for _, c := range s.checks {
		if !c.Ready() {
			return c.Name
		}
	}
	return ""
}

// readyz answers 200 or 503; with ?verbose it lists every check as Kubernetes components do ("[+]name ok",
// "[-]name failed").
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	_, verbose := r.URL.Query()["verbose"]
	var b strings.Builder
	failed := false
	for _, c := range s.checks {
		ok := c.Ready()
		failed = failed || !ok
		if ok {
			b.WriteString("[+]" + c.Name + " ok")
			if c.Degraded != nil {
				if err := c.Degraded(); err != nil {
					b.WriteString(", degraded: " + singleLine(err.Error()))
				}
			}
			b.WriteString("\n")
		} else {
			b.WriteString("[-]" + c.Name + " failed: not ready\n")
		}
	}
	code, last := http.StatusOK, "readyz check passed\n"
	if failed {
		code, last = http.StatusServiceUnavailable, "readyz check failed\n"
	}
	if !verbose {
		if failed {
			writeText(w, code, "not ready\n")
		} else {
			writeText(w, code, "ok\n")
		}
		return
	}
	writeText(w, code, b.String()+last)
}

// whenReady serves h once the TA is ready and a JSON 503 before: an http_sd client keeps its last list on any
// status but 200, whereas an empty 200 list would make it drop every target of the job.
func (s *Server) whenReady(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if name := s.failingCheck(); name != "" {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "target allocator not ready: "+name+" check failing (see /readyz?verbose)")
			return
		}
		h(w, r)
	}
}
