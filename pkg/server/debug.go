package server

import (
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
<table><tr><th>name</th><th>node</th><th>pod IP</th><th>targets</th></tr>
{{range .Collectors}}<tr><td>{{.Name}}</td><td>{{.Node}}</td><td>{{.PodIP}}</td><td class="n">{{.Targets}}</td></tr>
{{else}}<tr><td colspan="4">none</td></tr>
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
}

type debugCollector struct {
	Name, Node, PodIP string
	Targets           int
}

type debugJob struct {
	Name, Link          string
	Targets, Unassigned int
}

func newDebugData(s *allocator.Snapshot) debugData {
	d := debugData{Strategy: s.Strategy(), Generation: s.Generation(), Unassigned: s.Unassigned()}
	for _, c := range s.Collectors() {
		d.Collectors = append(d.Collectors, debugCollector{c.Name, c.Node, c.PodIP, s.CollectorTargets(c.Name)})
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
	if err := debugTemplate.Execute(w, newDebugData(s.opts.Snapshot())); err != nil {
		// Headers are gone; all we can do is stop writing. A template error here is a bug, caught by tests.
		return
	}
}
