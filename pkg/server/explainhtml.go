package server

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/pprof"
	"strconv"
)

// The HTML views escape every name and label through html/template: job names, label values and collector
// names come from monitors and discovery, which tenants control.

const pageHead = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Target Allocator</title>
<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}pre{margin:0}</style></head><body>
<p><a href="/">home</a> · <a href="/jobs">jobs</a> · <a href="/scrape_configs">scrape configs</a></p>`

var funcs = template.FuncMap{"escape": jobLink, "fetch": func(f *Fetch) string {
	if f == nil {
		return "never"
	}
	return "generation " + strconv.FormatUint(f.Generation, 10) + " at " + f.Time.Format("2006-01-02 15:04:05.000Z")
}}

var explainTemplate = template.Must(template.New("explain").Funcs(funcs).Parse(pageHead + `
<h1>Targets</h1>{{if .Truncated}}<p>More targets matched; the first {{len .Targets}} are shown.</p>{{end}}
{{range .Targets}}<h2>{{.Address}} in job {{.Job}}</h2>
<table>{{if .Dropped}}<tr><th>collector</th><td>none: discovered but not a target</td></tr>{{else}}<tr><th>collector</th><td><a href="/debug/collector?name={{.Collector}}">{{.Collector}}</a></td></tr>{{end}}
<tr><th>identity</th><td>{{.Identity}}</td></tr>
<tr><th>discovered as</th><td>{{range .Origins}}provider {{.Provider}} group {{.Group}} entry {{.Index}}{{if .Served}} (served){{end}}<br>{{else}}unknown{{end}}{{if .Merged}}merged duplicates{{end}}</td></tr>
<tr><th>relabeling</th><td>{{.Outcome}}</td></tr>
<tr><th>last fetch of the job by the collector</th><td>{{fetch .LastFetch}} (current generation {{.Generation}})</td></tr></table>
<h3>Discovered labels</h3><table>{{range $k, $v := .DiscoveredLabels}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>
<h3>Relabel steps</h3><table><tr><th>rule</th><th>kept</th><th>labels after</th></tr>
{{range .Relabel}}<tr><td><pre>{{.Rule}}</pre></td><td>{{.Kept}}</td><td>{{range $k, $v := .Labels}}{{$k}}={{$v}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="3">no relabel_configs</td></tr>{{end}}</table>
{{else}}<p>No target matched.</p>{{end}}</body></html>`))

var collectorTemplate = template.Must(template.New("collector").Funcs(funcs).Parse(pageHead + `
<h1>Collector {{.Name}}</h1><p>Node {{.Node}}, pod IP {{.PodIP}}, {{.Targets}} targets, generation {{.Generation}}.</p>
<table><tr><th>job</th><th>targets</th><th>last fetch</th></tr>
{{range .Jobs}}<tr><td><a href="/debug/job?name={{.Job}}">{{.Job}}</a></td><td>{{.Targets}}</td><td>{{fetch .LastFetch}}</td></tr>{{end}}
</table></body></html>`))

var jobTemplate = template.Must(template.New("job").Funcs(funcs).Parse(pageHead + `
<h1>Job {{.Job}}</h1><p>{{.Targets}} targets, {{.Unassigned}} unassigned, generation {{.Generation}}.</p>
<table><tr><th>collector</th><th>targets</th><th>last fetch</th></tr>
{{range .Collectors}}<tr><td><a href="/debug/collector?name={{.Collector}}">{{.Collector}}</a></td><td>{{.Targets}}</td><td>{{fetch .LastFetch}}</td></tr>{{end}}
</table></body></html>`))

var jobsTemplate = template.Must(template.New("jobs").Funcs(funcs).Parse(pageHead + `
<h1>Jobs</h1><table><tr><th>job</th><th>targets</th><th>unassigned</th><th></th></tr>
{{range .}}<tr><td><a href="/debug/job?name={{.Name}}">{{.Name}}</a></td><td>{{.Targets}}</td><td>{{.Unassigned}}</td><td><a href="{{.Link}}">targets JSON</a></td></tr>
{{else}}<tr><td colspan="4">none</td></tr>{{end}}</table></body></html>`))

var scrapeConfigsTemplate = template.Must(template.New("scrape").Parse(pageHead + `
<h1>Scrape configs</h1><pre>{{.}}</pre></body></html>`))

func writeHTML(w http.ResponseWriter, t *template.Template, data any) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func (s *Server) jobsHTML(w http.ResponseWriter) {
	writeHTML(w, jobsTemplate, newDebugData(s.opts.Snapshot(), s.ids).Jobs)
}

// scrapeConfigsHTML shows the same body as the JSON route (so no more than it: credentials stay withheld),
// indented.
func scrapeConfigsHTML(w http.ResponseWriter, body []byte) {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		b.Reset()
		b.Write(body)
	}
	writeHTML(w, scrapeConfigsTemplate, b.String())
}

// registerPprof serves Go's profiling endpoints under /debug/pprof/ (only when enabled: profiles reveal
// internals and cost CPU).
func (s *Server) registerPprof() {
	s.mux.HandleFunc("/debug/pprof/", pprof.Index)
	s.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
