package promcr

import (
	"fmt"
	"net/url"

	"github.com/alecthomas/units"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
)

// endpointSettings are the per-endpoint scrape settings ServiceMonitor and PodMonitor
// endpoints share field for field.
type endpointSettings struct {
	interval, timeout        monitoringv1.Duration
	path                     string
	scheme                   *monitoringv1.Scheme
	params                   map[string][]string
	honorLabels              bool
	honorTimestamps          *bool
	trackTimestampsStaleness *bool
}

// specSettings are the per-monitor limits and protocol settings both monitor kinds share.
type specSettings struct {
	sampleLimit, targetLimit, labelLimit, labelNameLengthLimit, labelValueLengthLimit, keepDroppedTargets *int64

	nativeHistograms monitoringv1.NativeHistogramConfig
	protocols        []monitoringv1.ScrapeProtocol
	fallback         *monitoringv1.ScrapeProtocol
	bodySizeLimit    *monitoringv1.ByteSize
}

// newScrapeConfig starts from Prometheus' own defaults, as config.Load would, so a
// generated config and the same config reloaded from YAML are equal.
func newScrapeConfig(job string) *config.ScrapeConfig {
	sc := config.DefaultScrapeConfig
	sc.JobName = job
	return &sc
}

func applyEndpoint(sc *config.ScrapeConfig, e endpointSettings, opts Options) error {
	sc.HonorLabels = e.honorLabels
	if e.honorTimestamps != nil {
		sc.HonorTimestamps = *e.honorTimestamps
	}
	if e.trackTimestampsStaleness != nil {
		sc.TrackTimestampsStaleness = *e.trackTimestampsStaleness
	}

	sc.ScrapeInterval = opts.ScrapeInterval
	if e.interval != "" {
		d, err := model.ParseDuration(string(e.interval))
		if err != nil {
			return fmt.Errorf("interval: %w", err)
		}
		sc.ScrapeInterval = d
	}
	if e.timeout != "" {
		d, err := model.ParseDuration(string(e.timeout))
		if err != nil {
			return fmt.Errorf("scrapeTimeout: %w", err)
		}
		// Prometheus rejects the whole config file for this, so catch it per monitor.
		if sc.ScrapeInterval != 0 && d > sc.ScrapeInterval {
			return fmt.Errorf("scrapeTimeout %s is greater than the scrape interval %s", d, sc.ScrapeInterval)
		}
		sc.ScrapeTimeout = d
	}
	if e.path != "" {
		sc.MetricsPath = e.path
	}
	if e.scheme != nil {
		switch s := e.scheme.String(); s {
		case "http", "https":
			sc.Scheme = s
		default:
			return fmt.Errorf("unknown scheme %q", string(*e.scheme))
		}
	}
	if e.params != nil {
		sc.Params = url.Values{}
		for k, v := range e.params {
			sc.Params[k] = append([]string(nil), v...)
		}
	}
	return nil
}

func applySpec(sc *config.ScrapeConfig, s specSettings) error {
	limits := []struct {
		name string
		in   *int64
		out  *uint
	}{
		{"sampleLimit", s.sampleLimit, &sc.SampleLimit},
		{"targetLimit", s.targetLimit, &sc.TargetLimit},
		{"labelLimit", s.labelLimit, &sc.LabelLimit},
		{"labelNameLengthLimit", s.labelNameLengthLimit, &sc.LabelNameLengthLimit},
		{"labelValueLengthLimit", s.labelValueLengthLimit, &sc.LabelValueLengthLimit},
		{"keepDroppedTargets", s.keepDroppedTargets, &sc.KeepDroppedTargets},
		{"nativeHistogramBucketLimit", s.nativeHistograms.NativeHistogramBucketLimit, &sc.NativeHistogramBucketLimit},
	}
	for _, l := range limits {
		if l.in == nil {
			continue
		}
		if *l.in < 0 {
			return fmt.Errorf("%s: negative value %d", l.name, *l.in)
		}
		*l.out = uint(*l.in)
	}

	nh := s.nativeHistograms
	sc.ScrapeNativeHistograms = nh.ScrapeNativeHistograms
	sc.AlwaysScrapeClassicHistograms = nh.ScrapeClassicHistograms
	sc.ConvertClassicHistogramsToNHCB = nh.ConvertClassicHistogramsToNHCB
	if nh.NativeHistogramMinBucketFactor != nil {
		sc.NativeHistogramMinBucketFactor = nh.NativeHistogramMinBucketFactor.AsApproximateFloat64()
	}

	for _, p := range s.protocols {
		if err := validateProtocol(p); err != nil {
			return fmt.Errorf("scrapeProtocols: %w", err)
		}
		sc.ScrapeProtocols = append(sc.ScrapeProtocols, config.ScrapeProtocol(p))
	}
	if s.fallback != nil {
		if err := validateProtocol(*s.fallback); err != nil {
			return fmt.Errorf("fallbackScrapeProtocol: %w", err)
		}
		sc.ScrapeFallbackProtocol = config.ScrapeProtocol(*s.fallback)
	}
	if s.bodySizeLimit != nil && *s.bodySizeLimit != "" {
		b, err := units.ParseBase2Bytes(string(*s.bodySizeLimit))
		if err != nil {
			return fmt.Errorf("bodySizeLimit: %w", err)
		}
		sc.BodySizeLimit = b
	}
	return nil
}

func validateProtocol(p monitoringv1.ScrapeProtocol) error {
	return config.ScrapeProtocol(p).Validate()
}
