package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	promconfig "github.com/prometheus/prometheus/config"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/plainhttp"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// jobs keeps the TA's scrape configs: the config file's (static) and those generated from monitoring resources.
// On every change it hands the merged set to discovery and encodes the two /scrape_configs bodies once, so a
// request only writes ready bytes: plain, without credentials, for the HTTP listener, and in clear for the mTLS
// listener (or for HTTP too with allow_insecure_auth_secrets).
type jobs struct {
	static      []*promconfig.ScrapeConfig
	apply       func([]*promconfig.ScrapeConfig) error
	plainSecret bool // allow_insecure_auth_secrets

	mu sync.Mutex // serialises update
	// withheld remembers, per job, what was last logged as left out, so each job is logged once, not per update.
	withheld       map[string]string
	withheldGauge  prometheus.Gauge
	plain, secured atomic.Pointer[[]byte]
	// byName holds the current scrape configs by job name, for explaining a target's relabeling on request.
	byName atomic.Pointer[map[string]*promconfig.ScrapeConfig]
}

func newJobs(static []*promconfig.ScrapeConfig, apply func([]*promconfig.ScrapeConfig) error, plainSecret bool,
	reg prometheus.Registerer) (*jobs, error) {
	j := &jobs{
		static:      static,
		apply:       apply,
		plainSecret: plainSecret,
		withheld:    map[string]string{},
		withheldGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "targetallocator_scrape_configs_credentials_withheld_jobs",
			Help: "Jobs served on plain HTTP /scrape_configs without their credentials, which only the mTLS listener serves.",
		}),
	}
	if reg != nil {
		if err := reg.Register(j.withheldGauge); err != nil {
			return nil, fmt.Errorf("registering scrape config metrics: %w", err)
		}
	}
	return j, nil
}

// update installs the jobs generated from monitoring resources (nil: none) beside the static ones.
func (j *jobs) update(cr []*promconfig.ScrapeConfig) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	all := make([]*promconfig.ScrapeConfig, 0, len(j.static)+len(cr))
	all = append(all, j.static...)
	names := make(map[string]bool, len(all))
	for _, c := range j.static {
		names[c.JobName] = true
	}
	for _, c := range cr {
		if names[c.JobName] {
			// Generated names (serviceMonitor/<ns>/<name>/<i>, ...) are unlikely in a config file, but a clash
			// must not make discovery reject the whole set; the file's job is the one the user wrote down.
			klog.InfoS("Job from a monitoring resource has the name of a job in the config file; it is ignored", "job", c.JobName)
			continue
		}
		names[c.JobName] = true
		all = append(all, c)
	}
	if err := j.apply(all); err != nil {
		return err
	}
	secured, err := taconfig.ScrapeConfigsJSON(all, true)
	if err != nil {
		return err
	}
	plain := secured
	if !j.plainSecret {
		if plain, err = j.plainJSON(all); err != nil {
			return err
		}
	}
	j.secured.Store(&secured)
	j.plain.Store(&plain)
	byName := make(map[string]*promconfig.ScrapeConfig, len(all))
	for _, c := range all {
		byName[c.JobName] = c
	}
	j.byName.Store(&byName)
	return nil
}

// scrapeConfig returns the current scrape config of a job, nil if there is none.
func (j *jobs) scrapeConfig(name string) *promconfig.ScrapeConfig {
	m := j.byName.Load()
	if m == nil {
		return nil
	}
	return (*m)[name]
}

// plainJSON encodes the jobs as plain HTTP may serve them (package plainhttp), logging once per job what was
// withheld.
func (j *jobs) plainJSON(all []*promconfig.ScrapeConfig) ([]byte, error) {
	served := make([]*promconfig.ScrapeConfig, 0, len(all))
	withheld := make(map[string]string, len(j.withheld))
	for _, c := range all {
		r := plainhttp.ScrapeConfig(c)
		why := strings.Join(r.Withheld, ", ")
		if r.Config != nil {
			holdsSecret, err := encodesSecret(r.Config)
			if err != nil {
				return nil, err
			}
			if holdsSecret {
				// plainhttp already leaves out any job holding a Secret; this guards the encoder's view of it.
				why = "the whole job: it holds credentials plain HTTP cannot serve"
			} else {
				served = append(served, r.Config)
			}
		}
		if why == "" {
			continue
		}
		withheld[c.JobName] = why
		if j.withheld[c.JobName] != why {
			klog.InfoS("Plain HTTP /scrape_configs serves a job without its credentials; they are served only over the mTLS listener (https.enabled)",
				"job", c.JobName, "withheld", why)
		}
	}
	j.withheld = withheld
	j.withheldGauge.Set(float64(len(withheld)))
	return taconfig.ScrapeConfigsJSON(served, false)
}

// plainBody and securedBody are the /scrape_configs bodies; nil before the first update.
func (j *jobs) plainBody() []byte   { return deref(j.plain.Load()) }
func (j *jobs) securedBody() []byte { return deref(j.secured.Load()) }

func deref(b *[]byte) []byte {
	if b == nil {
		return nil
	}
	return *b
}

// encodesSecret reports whether sc's redacted encoding still holds a "<secret>" placeholder.
func encodesSecret(sc *promconfig.ScrapeConfig) (bool, error) {
	b, err := taconfig.ScrapeConfigsJSON([]*promconfig.ScrapeConfig{sc}, false)
	if err != nil {
		return false, err
	}
	return bytes.Contains(b, []byte(`"<secret>"`)), nil
}
