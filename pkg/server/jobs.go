package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// jobs serves {"<job>": {"_link": "/jobs/<escaped job>/targets"}, ...}.
func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	if wantsHTML(r) {
		s.jobsHTML(w)
		return
	}
	snap := s.opts.Snapshot()
	var b strings.Builder
	b.WriteByte('{')
	for i, job := range snap.Jobs() {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, job)
		b.WriteString(`:{"_link":`)
		writeJSONString(&b, jobLink(job))
		b.WriteByte('}')
	}
	b.WriteByte('}')
	writeJSON(w, b.String())
}

// targets serves one collector's http_sd list for a job when collector_id is present (resolved by
// collectorID, which may recognise the collector by its source IP), and the all-collectors debug map when it is
// absent.
func (s *Server) targets(w http.ResponseWriter, r *http.Request) {
	job, err := jobName(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	snap := s.opts.Snapshot()
	q := r.URL.Query()
	if !q.Has("collector_id") {
		writeDebugTargets(w, snap, job)
		return
	}
	name, ok := s.collectorID(r, snap, job, q.Get("collector_id"))
	if !ok {
		writeJSON(w, "[]")
		return
	}
	s.fetches.record(snap, name, job, time.Now())
	s.writeTargets(w, r, snap, job, name)
}

// jobName decodes the {job} segment from the raw path with url.QueryUnescape, the inverse of the
// url.QueryEscape writers use. The mux's own unescaping is path unescaping, which would leave '+' (an escaped
// space) as '+'.
func jobName(r *http.Request) (string, error) {
	raw := r.URL.RawPath // set when the client's escaping differs from the default one, e.g. %2F or %2B
	if raw == "" {
		raw = r.URL.EscapedPath()
	}
	seg, ok := strings.CutPrefix(raw, "/jobs/")
	if ok {
		seg, ok = strings.CutSuffix(seg, "/targets")
	}
	if !ok || strings.Contains(seg, "/") {
		return "", &badJobError{raw: raw, reason: "path is not /jobs/<job>/targets"}
	}
	job, err := url.QueryUnescape(seg)
	if err != nil {
		return "", &badJobError{raw: seg, reason: err.Error()}
	}
	return job, nil
}

type badJobError struct{ raw, reason string }

func (e *badJobError) Error() string { return "bad job name " + strconvQuote(e.raw) + ": " + e.reason }

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func jobLink(job string) string { return "/jobs/" + url.QueryEscape(job) + "/targets" }

// writeJSONString appends s as a JSON string.
func writeJSONString(b *strings.Builder, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// writeDebugTargets streams {"<collector>": {"_link": ..., "targets": [<items>]}, ...} for every live collector:
// a debugging view made of the snapshot's per-collector responses, written one after the other. The map itself
// is never assembled, so a request costs the same small memory whatever the number of targets (the whole map is
// about 700 MB at a million targets) beyond what the bounded response cache may keep; its length is not known in
// advance, so it goes out chunked.
func writeDebugTargets(w http.ResponseWriter, snap *allocator.Snapshot, job string) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "{")
	for i, c := range snap.Collectors() {
		if i > 0 {
			io.WriteString(w, ",")
		}
		w.Write(jsonString(c.Name))
		io.WriteString(w, `:{"_link":`)
		w.Write(jsonString(jobLink(job) + "?collector_id=" + url.QueryEscape(c.Name)))
		io.WriteString(w, `,"targets":`)
		if _, err := snap.Body(job, c.Name).WriteTo(w); err != nil {
			return // the client is gone (or the write timeout passed): stop, nothing to report to it
		}
		io.WriteString(w, "}")
	}
	io.WriteString(w, "}")
}

func jsonString(s string) []byte { b, _ := json.Marshal(s); return b }
