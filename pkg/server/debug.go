package server

import (
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// debugTemplate is the small debug page; html/template escapes job and collector names.
var debugTemplate = template.Must(template.New("debug").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Target Allocator</title>
<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}td.n{text-align:right}</style></head>
<body>
<h1>Target Allocator</h1>
<p>Strategy <b>{{.Strategy}}</b>, generation {{.Generation}}, {{.Targets}} targets,
{{len .Collectors}} collectors, {{.Unassigned}} unassigned.
<a href="/jobs">/jobs</a> · <a href="/scrape_configs">/scrape_configs</a> · <a href="/metrics">/metrics</a></p>
<h2>Collectors</h2>
<table><tr><th>name</th><th>node</th><th>pod IP</th><th>targets</th><th>requests served by source IP</th></tr>
{{range .Collectors}}<tr><td>{{.Name}}</td><td>{{.Node}}</td><td>{{.PodIP}}</td><td class="n">{{.Targets}}</td><td class="n">{{.Fallbacks}}</td></tr>
{{else}}<tr><td colspan="5">none</td></tr>
{{end}}</table>
<h2>Unknown callers</h2>
<p>Requests whose collector_id named no live collector and whose source IP is not the pod IP of exactly one
collector: they get an empty list, so nothing is scraped for them. The {{.MaxCallers}} most recent;
<a href="/debug/unknown-collectors">as JSON</a>.</p>
<table><tr><th>collector_id</th><th>source IP</th><th>reason</th><th>collectors with this IP</th><th>last job</th><th>requests</th><th>first seen</th><th>last seen</th></tr>
{{range .Unknown}}<tr><td>{{printf "%q" .CollectorID}}</td><td>{{.SourceIP}}</td><td>{{.Reason}}</td><td class="n">{{.PodsWithIP}}</td><td>{{.LastJob}}</td><td class="n">{{.Requests}}</td><td>{{.FirstSeen.UTC.Format "2006-01-02 15:04:05Z"}}</td><td>{{.LastSeen.UTC.Format "2006-01-02 15:04:05Z"}}</td></tr>
{{else}}<tr><td colspan="8">none</td></tr>
{{end}}</table>
<h2>Jobs</h2>
<table><tr><th>job</th><th>targets</th><th>unassigned</th></tr>
{{range .Jobs}}<tr><td><a href="{{.Link}}">{{.Name}}</a></td><td class="n">{{.Targets}}</td><td class="n">{{.Unassigned}}</td></tr>
{{else}}<tr><td colspan="3">none</td></tr>
{{end}}</table>
</body></html>
`))

type debugData struct {
	Strategy            string
	Generation          uint64
	Targets, Unassigned int
	Collectors          []debugCollector
	Jobs                []debugJob
	Unknown             []unknownCaller
	MaxCallers          int
}

type debugCollector struct {
	Name, Node, PodIP string
	Targets           int
	Fallbacks         uint64
}

type debugJob struct {
	Name, Link          string
	Targets, Unassigned int
}

func newDebugData(s *allocator.Snapshot, ids *identityRecord) debugData {
	d := debugData{Strategy: s.Strategy(), Generation: s.Generation(), Unassigned: s.Unassigned(),
		Unknown: ids.unknownCallers(), MaxCallers: maxUnknownCallers}
	fb := ids.fallbackCounts()
	for _, c := range s.Collectors() {
		var n uint64
		for _, k := range fb[c.Name] {
			n += k
		}
		d.Collectors = append(d.Collectors, debugCollector{c.Name, c.Node, c.PodIP, s.CollectorTargets(c.Name), n})
	}
	for _, j := range s.Jobs() {
		total, un := s.JobTargets(j)
		d.Targets += total
		d.Jobs = append(d.Jobs, debugJob{Name: j, Link: jobLink(j), Targets: total, Unassigned: un})
	}
	return d
}

func (s *Server) debugPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := debugTemplate.Execute(w, newDebugData(s.opts.Snapshot(), s.ids)); err != nil {
		// Headers are gone; all we can do is stop writing. A template error here is a bug, caught by tests.
		return
	}
}

// unknownCollectors serves GET /debug/unknown-collectors: the unknown-callers table of the debug page as a JSON
// array, most recently seen first, "[]" when there are none. Each element is
//
//	{"collector_id": "$POD_NAME", "source_ip": "10.1.2.3", "reason": "placeholder", "pods_with_ip": 0,
//	 "last_job": "<job>", "requests": 12, "first_seen": "<RFC 3339>", "last_seen": "<RFC 3339>"}
//
// reason is why the id named no live collector (empty, placeholder or unknown); pods_with_ip is how many live
// collectors have the source IP (0: none, 2 or more: not unique, so the TA could not tell which one asked).
// Only the most recent 100 (id, source IP) pairs are kept.
func (s *Server) unknownCollectors(w http.ResponseWriter, _ *http.Request) {
	b, err := json.Marshal(s.ids.unknownCallers())
	if err != nil { // plain strings, ints and times: cannot fail
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, b)
}
