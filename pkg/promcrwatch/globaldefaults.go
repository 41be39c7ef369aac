package promcrwatch

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/config"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

// jobKinds maps the first segment of a generated job name to the resource kind.
var jobKinds = map[string]string{
	"serviceMonitor": promcr.KindServiceMonitor,
	"podMonitor":     promcr.KindPodMonitor,
	"probe":          promcr.KindProbe,
	"scrapeConfig":   promcr.KindScrapeConfig,
}

// applyGlobal completes generated scrape configs the way loading a Prometheus config file completes the file's
// jobs: scrape_timeout, limits and scrape protocols from the global section. Without that a job has no scrape
// timeout, and Prometheus' target labelling (which the TA's relabel filter runs) refuses every target of it.
// A job the global section cannot complete (a scrape_timeout above the interval, ...) rejects its whole
// resource, as promcr does for its own errors: half of a monitor's endpoints is worse than a visible error.
func applyGlobal(cfgs []*config.ScrapeConfig, global config.GlobalConfig) ([]*config.ScrapeConfig, []*promcr.ResourceError) {
	var errs []*promcr.ResourceError
	rejected := map[string]bool{}
	for _, c := range cfgs {
		if err := c.Validate(global); err != nil {
			re := jobResourceError(c.JobName, err)
			key := re.Kind + "/" + re.Namespace + "/" + re.Name
			if !rejected[key] {
				rejected[key] = true
				errs = append(errs, re)
			}
		}
	}
	if len(errs) == 0 {
		return cfgs, nil
	}
	kept := cfgs[:0:0]
	for _, c := range cfgs {
		re := jobResourceError(c.JobName, nil)
		if !rejected[re.Kind+"/"+re.Namespace+"/"+re.Name] {
			kept = append(kept, c)
		}
	}
	return kept, errs
}

// jobResourceError names the resource a generated job comes from: <kind>/<namespace>/<name>/<index>.
func jobResourceError(job string, err error) *promcr.ResourceError {
	parts := strings.Split(job, "/")
	if len(parts) < 4 {
		return &promcr.ResourceError{Kind: "unknown", Name: job, Err: err}
	}
	kind, ok := jobKinds[parts[0]]
	if !ok {
		kind = parts[0]
	}
	if err != nil {
		err = fmt.Errorf("job %s: %w", job, err)
	}
	// Names cannot contain "/", so the name is everything between the namespace and the index.
	return &promcr.ResourceError{Kind: kind, Namespace: parts[1], Name: strings.Join(parts[2:len(parts)-1], "/"), Err: err}
}
