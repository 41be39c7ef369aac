package discovery

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
)

// Label names Prometheus' scrape package adds; they are unexported there, so they are repeated here and must match
// github.com/prometheus/prometheus/scrape/target.go.
const (
	convertClassicHistogramsToNHCBLabel = "__convert_classic_histograms_to_nhcb__"
	alwaysScrapeClassicHistogramsLabel  = "__always_scrape_classic_histograms__"
	scrapeNativeHistogramsLabel         = "__scrape_native_histograms__"
)

// jobConfig is what processing needs from one scrape config, computed once per configuration rather than per
// target.
type jobConfig struct {
	name string
	// scrapeLabels are the labels scrape.PopulateDiscoveredLabels adds when a target does not set them, params
	// last and sorted so that processing is deterministic.
	scrapeLabels []labels.Label
	// scrapeSorted holds scrapeLabels sorted by name, for merging.
	scrapeSorted []labels.Label
	// relabel is nil when relabel filtering is off.
	relabel []*relabel.Config
	// interval and timeout are the configured defaults as label values. A target carrying exactly these values
	// needs no parsing; only targets that override them are checked the way Prometheus checks them.
	interval, timeout string
	// defaultsErr is set when the configured defaults alone make Prometheus refuse every target of the job.
	defaultsErr error
	// fingerprint changes whenever anything that affects processing changes; a job whose fingerprint changes is
	// reprocessed.
	fingerprint string
	// sd is the job's service discovery configuration; when it changes, the discovery manager restarts the job's
	// discoverers and delivers the job empty until they report (see Processor.Process).
	sd discovery.Configs
}

func newJobConfig(cfg *config.ScrapeConfig, filterRelabel bool) (*jobConfig, error) {
	jc := &jobConfig{
		sd:       cfg.ServiceDiscoveryConfigs,
		name:     cfg.JobName,
		interval: cfg.ScrapeInterval.String(),
		timeout:  cfg.ScrapeTimeout.String(),
	}
	jc.scrapeLabels = []labels.Label{
		{Name: model.JobLabel, Value: cfg.JobName},
		{Name: model.ScrapeIntervalLabel, Value: jc.interval},
		{Name: model.ScrapeTimeoutLabel, Value: jc.timeout},
		{Name: model.MetricsPathLabel, Value: cfg.MetricsPath},
		{Name: model.SchemeLabel, Value: cfg.Scheme},
		{Name: convertClassicHistogramsToNHCBLabel, Value: strconv.FormatBool(cfg.ConvertClassicHistogramsToNHCBEnabled())},
		{Name: alwaysScrapeClassicHistogramsLabel, Value: strconv.FormatBool(cfg.AlwaysScrapeClassicHistogramsEnabled())},
		{Name: scrapeNativeHistogramsLabel, Value: strconv.FormatBool(cfg.ScrapeNativeHistogramsEnabled())},
	}
	params := make([]string, 0, len(cfg.Params))
	for k, v := range cfg.Params {
		if len(v) > 0 {
			params = append(params, k)
		}
	}
	slices.Sort(params)
	for _, k := range params {
		jc.scrapeLabels = append(jc.scrapeLabels, labels.Label{Name: model.ParamLabelPrefix + k, Value: cfg.Params[k][0]})
	}
	jc.scrapeSorted = slices.Clone(jc.scrapeLabels)
	sortLabels(jc.scrapeSorted)
	if filterRelabel && len(cfg.RelabelConfigs) > 0 {
		jc.relabel = cfg.RelabelConfigs
	}
	jc.defaultsErr = checkIntervals(jc.interval, jc.timeout)

	// The fingerprint covers the scrape labels and the relabel rules, the only inputs of processing besides the
	// target groups. Relabel configs marshal to JSON including their regex source.
	rl, err := json.Marshal(jc.relabel)
	if err != nil {
		return nil, fmt.Errorf("job %q: encoding relabel_configs: %w", cfg.JobName, err)
	}
	sl, err := json.Marshal(jc.scrapeLabels)
	if err != nil {
		return nil, fmt.Errorf("job %q: encoding scrape labels: %w", cfg.JobName, err)
	}
	jc.fingerprint = string(sl) + "\x00" + string(rl)
	return jc, nil
}

// checkIntervals repeats the interval and timeout checks of scrape.PopulateLabels.
func checkIntervals(interval, timeout string) error {
	iv, err := model.ParseDuration(interval)
	if err != nil {
		return fmt.Errorf("error parsing scrape interval: %w", err)
	}
	if time.Duration(iv) == 0 {
		return fmt.Errorf("scrape interval cannot be 0")
	}
	to, err := model.ParseDuration(timeout)
	if err != nil {
		return fmt.Errorf("error parsing scrape timeout: %w", err)
	}
	if time.Duration(to) == 0 {
		return fmt.Errorf("scrape timeout cannot be 0")
	}
	if to > iv {
		return fmt.Errorf("scrape timeout cannot be greater than scrape interval (%q > %q)", timeout, interval)
	}
	return nil
}
