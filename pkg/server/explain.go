package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// The explain views answer "why is this target (not) scraped, and by whom" on request. Nothing is computed for
// them before someone asks: the snapshot already holds each target's discovered labels (its http_sd item) and
// collector, the fetch log holds each collector's last fetch of each job, and relabeling is recomputed from the
// discovered labels and the job's current relabel_configs.

// maxExplained bounds one answer, whatever the query matches.
const maxExplained = 100

// ExplainedTarget is one target as the explain views show it.
type ExplainedTarget struct {
	Job     string `json:"job"`
	Address string `json:"address"`
	// Collector is the collector the target is assigned to.
	Collector string `json:"collector"`
	// Identity is the target's identity hash (post-relabel labels); two discovery entries with the same identity
	// are served once.
	Identity string `json:"identity"`
	// DiscoveredLabels are the labels as discovered (pre-relabel, __meta_* included), as served over http_sd.
	DiscoveredLabels map[string]string `json:"discovered_labels"`
	// Relabel lists each relabel_configs step and the labels after it; empty when the job has no rules or its
	// configuration is not known to the server.
	Relabel []RelabelStep `json:"relabel"`
	// Outcome says whether relabeling kept the target ("kept") or which step dropped it, recomputed now; a target
	// in the allocation that the current rules drop was allocated under earlier rules.
	Outcome string `json:"outcome"`
	// LastFetch is the collector's last fetch of the job; Generation is the allocation generation now, so
	// LastFetch.Generation < Generation means the collector has not fetched since the latest change.
	LastFetch  *Fetch `json:"last_fetch"`
	Generation uint64 `json:"generation"`
	// Origins are the discovery entries behind the target (target group source and index), the served one
	// first; more than one means entries were merged as duplicates. Nil when discovery cannot say.
	Origins []Origin `json:"origins"`
	Merged  bool     `json:"merged_duplicates"`
	// Dropped is set for an entry that discovery found but that is not a target (no collector, no identity):
	// relabel_configs dropped it, or Prometheus would refuse it after relabeling; Outcome says which.
	Dropped bool `json:"dropped"`
}

// DroppedEntry is a discovered entry that is not a target, with its discovered labels encoded as an http_sd
// item.
type DroppedEntry struct {
	Job    string
	Origin Origin
	Item   []byte
}

// Origin is one discovery entry behind a target.
type Origin struct {
	// Provider is the SD provider's position among the job's service discovery configs.
	Provider int    `json:"provider"`
	Group    string `json:"group"`
	Index    int    `json:"index"`
	Served   bool   `json:"served"`
}

// RelabelStep is one rule and its effect.
type RelabelStep struct {
	Rule   string            `json:"rule"`
	Kept   bool              `json:"kept"`
	Labels map[string]string `json:"labels,omitempty"`
}

// targetQuery selects targets: by exact address, by discovered label (name=value), optionally in one job.
type targetQuery struct {
	job, address, labelName, labelValue string
}

func parseTargetQuery(r *http.Request) (targetQuery, error) {
	q := r.URL.Query()
	tq := targetQuery{job: q.Get("job"), address: q.Get("address")}
	if l := q.Get("label"); l != "" {
		name, value, ok := strings.Cut(l, "=")
		if !ok || name == "" {
			return tq, fmt.Errorf("label %q: want name=value", l)
		}
		tq.labelName, tq.labelValue = name, value
	}
	if tq.address == "" && tq.labelName == "" {
		return tq, fmt.Errorf("give address=<host:port> or label=<name>=<value> (and optionally job=<job>)")
	}
	return tq, nil
}

func (q targetQuery) matches(t *target.Target, discovered func() map[string]string) bool {
	if q.address != "" && t.Address != q.address {
		return false
	}
	return q.matchesLabel(t.Item, discovered)
}

// matchesDropped matches a dropped entry: by its discovered __address__ (it has no target address) and labels.
func (q targetQuery) matchesDropped(item []byte) bool {
	var dl map[string]string
	discovered := func() map[string]string {
		if dl == nil {
			dl = itemLabels(item)
		}
		return dl
	}
	if q.address != "" {
		if !bytes.Contains(item, []byte(q.address)) || discovered()[model.AddressLabel] != q.address {
			return false
		}
	}
	return q.matchesLabel(item, discovered)
}

func (q targetQuery) matchesLabel(item []byte, discovered func() map[string]string) bool {
	if q.labelName != "" {
		// Cheap filter before decoding the item: the value must appear in it.
		if !bytes.Contains(item, []byte(q.labelValue)) && q.labelValue != "" {
			return false
		}
		v, ok := discovered()[q.labelName]
		if !ok || v != q.labelValue {
			return false
		}
	}
	return true
}

// explainTargets finds the targets matching q and explains each, at most maxExplained; truncated is set when
// more matched.
func (s *Server) explainTargets(snap *allocator.Snapshot, q targetQuery) (out []ExplainedTarget, truncated bool) {
	jobs := snap.Jobs()
	if q.job != "" {
		jobs = []string{q.job}
	}
	for _, job := range jobs {
		for _, c := range snap.Collectors() {
			for _, t := range snap.Targets(job, c.Name) {
				var dl map[string]string
				discovered := func() map[string]string {
					if dl == nil {
						dl = itemLabels(t.Item)
					}
					return dl
				}
				if !q.matches(t, discovered) {
					continue
				}
				if len(out) == maxExplained {
					return out, true
				}
				out = append(out, s.explain(snap, job, c.Name, t, discovered()))
			}
		}
	}
	if s.opts.Dropped == nil {
		return out, false
	}
	dropped, more := s.opts.Dropped(q.job, q.matchesDropped, maxExplained-len(out))
	for _, d := range dropped {
		out = append(out, s.explainDropped(d))
	}
	return out, more
}

// explainDropped explains an entry that is not a target by replaying the job's relabeling on it.
func (s *Server) explainDropped(d DroppedEntry) ExplainedTarget {
	dl := itemLabels(d.Item)
	e := ExplainedTarget{Job: d.Job, Address: dl[model.AddressLabel], DiscoveredLabels: dl, Dropped: true,
		Origins: []Origin{d.Origin}, Outcome: "dropped by discovery (the job's configuration is not available)"}
	var cfg *promconfig.ScrapeConfig
	if s.opts.ScrapeConfig != nil {
		cfg = s.opts.ScrapeConfig(d.Job)
	}
	if cfg == nil {
		return e
	}
	e.Relabel, e.Outcome = relabelSteps(cfg, dl)
	if e.Outcome == "kept" {
		// Relabeling keeps it, so Prometheus' own checks refused the result.
		e.Outcome = "refused after relabeling: no address, or an address, scrape interval or timeout Prometheus would not accept"
	}
	return e
}

func (s *Server) explain(snap *allocator.Snapshot, job, collector string, t *target.Target, discovered map[string]string) ExplainedTarget {
	e := ExplainedTarget{Job: job, Address: t.Address, Collector: collector,
		Identity: strconv.FormatUint(t.Hash, 16), DiscoveredLabels: discovered, Outcome: "kept",
		LastFetch: s.fetches.last(collector, job), Generation: snap.Generation()}
	if s.opts.Origins != nil {
		e.Origins = s.opts.Origins(job, t.Hash)
		e.Merged = len(e.Origins) > 1
	}
	var cfg *promconfig.ScrapeConfig
	if s.opts.ScrapeConfig != nil {
		cfg = s.opts.ScrapeConfig(job)
	}
	if cfg == nil {
		e.Outcome = "unknown: the job's configuration is not available"
		return e
	}
	e.Relabel, e.Outcome = relabelSteps(cfg, discovered)
	return e
}

// relabelSteps replays the job's relabel_configs on the discovered labels, with the scrape labels Prometheus
// adds first (job, __scheme__, __metrics_path__, __scrape_interval__, ...), and records every step.
func relabelSteps(cfg *promconfig.ScrapeConfig, discovered map[string]string) ([]RelabelStep, string) {
	ls := make(model.LabelSet, len(discovered))
	for k, v := range discovered {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range ls {
		lb.Set(string(k), string(v))
	}
	// The labels Prometheus adds before relabeling when discovery did not set them (as its
	// scrape.PopulateDiscoveredLabels does; that package is not linked into the TA for this alone).
	setDefault := func(name, value string) {
		if _, ok := ls[model.LabelName(name)]; !ok {
			lb.Set(name, value)
		}
	}
	setDefault(model.JobLabel, cfg.JobName)
	setDefault(model.ScrapeIntervalLabel, cfg.ScrapeInterval.String())
	setDefault(model.ScrapeTimeoutLabel, cfg.ScrapeTimeout.String())
	setDefault(model.MetricsPathLabel, cfg.MetricsPath)
	setDefault(model.SchemeLabel, cfg.Scheme)
	for name, values := range cfg.Params {
		if len(values) > 0 {
			setDefault(model.ParamLabelPrefix+name, values[0])
		}
	}
	steps := make([]RelabelStep, 0, len(cfg.RelabelConfigs))
	for i, rc := range cfg.RelabelConfigs {
		rule, err := yaml.Marshal(rc)
		if err != nil {
			rule = []byte(err.Error())
		}
		kept := relabel.ProcessBuilder(lb, rc)
		step := RelabelStep{Rule: strings.TrimSpace(string(rule)), Kept: kept}
		if kept {
			step.Labels = lb.Labels().Map()
		}
		steps = append(steps, step)
		if !kept {
			return steps, fmt.Sprintf("dropped by relabel_configs[%d] (action %s)", i, rc.Action)
		}
	}
	return steps, "kept"
}

// itemLabels decodes the labels of an http_sd item.
func itemLabels(item []byte) map[string]string {
	var v struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(item, &v); err != nil || v.Labels == nil {
		return map[string]string{}
	}
	return v.Labels
}

// debugTarget serves GET /debug/target?address=...|label=name=value[&job=...]: the explained targets as JSON,
// or as an HTML page for a browser (Accept: text/html).
func (s *Server) debugTarget(w http.ResponseWriter, r *http.Request) {
	q, err := parseTargetQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	targets, truncated := s.explainTargets(s.opts.Snapshot(), q)
	if targets == nil {
		targets = []ExplainedTarget{}
	}
	res := struct {
		Targets   []ExplainedTarget `json:"targets"`
		Truncated bool              `json:"truncated"`
	}{targets, truncated}
	if wantsHTML(r) {
		writeHTML(w, explainTemplate, res)
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, b)
}

// CollectorJob is one job as seen from one collector.
type CollectorJob struct {
	Job       string `json:"job"`
	Targets   int    `json:"targets"`
	LastFetch *Fetch `json:"last_fetch"`
}

// debugCollector serves GET /debug/collector?name=<collector>: the collector's jobs, target counts and last
// fetches.
func (s *Server) debugCollector(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	snap := s.opts.Snapshot()
	var col *target.Collector
	for _, c := range snap.Collectors() {
		if c.Name == name {
			col = &c
			break
		}
	}
	if col == nil {
		writeError(w, http.StatusNotFound, "no live collector named "+strconv.Quote(name))
		return
	}
	res := struct {
		Name       string         `json:"name"`
		Node       string         `json:"node"`
		PodIP      string         `json:"pod_ip"`
		Targets    int            `json:"targets"`
		Generation uint64         `json:"generation"`
		Jobs       []CollectorJob `json:"jobs"`
	}{Name: col.Name, Node: col.Node, PodIP: col.PodIP, Targets: snap.CollectorTargets(col.Name),
		Generation: snap.Generation(), Jobs: []CollectorJob{}}
	for _, j := range snap.Jobs() {
		res.Jobs = append(res.Jobs, CollectorJob{Job: j, Targets: snap.Count(j, col.Name), LastFetch: s.fetches.last(col.Name, j)})
	}
	if wantsHTML(r) {
		writeHTML(w, collectorTemplate, res)
		return
	}
	b, _ := json.Marshal(res)
	writeJSON(w, b)
}

// JobCollector is one collector as seen from one job.
type JobCollector struct {
	Collector string `json:"collector"`
	Targets   int    `json:"targets"`
	LastFetch *Fetch `json:"last_fetch"`
}

// debugJob serves GET /debug/job?name=<job>: the job's collectors, their target counts and last fetches.
func (s *Server) debugJob(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	snap := s.opts.Snapshot()
	if !snap.HasJob(name) {
		writeError(w, http.StatusNotFound, "no job named "+strconv.Quote(name))
		return
	}
	total, unassigned := snap.JobTargets(name)
	res := struct {
		Job        string         `json:"job"`
		Targets    int            `json:"targets"`
		Unassigned int            `json:"unassigned"`
		Generation uint64         `json:"generation"`
		Collectors []JobCollector `json:"collectors"`
	}{Job: name, Targets: total, Unassigned: unassigned, Generation: snap.Generation(), Collectors: []JobCollector{}}
	for _, c := range snap.Collectors() {
		res.Collectors = append(res.Collectors, JobCollector{c.Name, snap.Count(name, c.Name), s.fetches.last(c.Name, name)})
	}
	sort.Slice(res.Collectors, func(i, k int) bool { return res.Collectors[i].Collector < res.Collectors[k].Collector })
	if wantsHTML(r) {
		writeHTML(w, jobTemplate, res)
		return
	}
	b, _ := json.Marshal(res)
	writeJSON(w, b)
}

// wantsHTML reports whether the client prefers HTML (a browser); http_sd clients and scripts send no Accept
// header or application/json, so they keep getting JSON.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
