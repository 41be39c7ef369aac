package promcrwatch

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

func TestApplyGlobal(t *testing.T) {
	job := func(name string, interval, timeout time.Duration) *config.ScrapeConfig {
		sc := config.DefaultScrapeConfig
		sc.JobName = name
		sc.ScrapeInterval, sc.ScrapeTimeout = model.Duration(interval), model.Duration(timeout)
		return &sc
	}
	cfgs := []*config.ScrapeConfig{
		job("serviceMonitor/ns/ok/0", 30*time.Second, 0),
		job("serviceMonitor/ns/short/0", 5*time.Second, 0),
		job("podMonitor/ns/bad/0", 30*time.Second, 0),
		job("podMonitor/ns/bad/1", 10*time.Second, 20*time.Second), // timeout above interval
	}
	kept, errs := applyGlobal(cfgs, config.DefaultGlobalConfig)

	var names []string
	for _, c := range kept {
		names = append(names, c.JobName)
	}
	if diff := cmp.Diff([]string{"serviceMonitor/ns/ok/0", "serviceMonitor/ns/short/0"}, names); diff != "" {
		t.Errorf("kept jobs (-want +got):\n%s", diff)
	}
	// The global timeout (10s), capped at the job's interval.
	if got := time.Duration(kept[0].ScrapeTimeout); got != 10*time.Second {
		t.Errorf("scrape_timeout = %s, want the global 10s", got)
	}
	if got := time.Duration(kept[1].ScrapeTimeout); got != 5*time.Second {
		t.Errorf("scrape_timeout = %s, want the interval 5s", got)
	}
	if len(errs) != 1 || errs[0].Kind != promcr.KindPodMonitor || errs[0].Namespace != "ns" || errs[0].Name != "bad" || errs[0].Err == nil {
		t.Fatalf("errors = %v, want one for PodMonitor ns/bad", errs)
	}
	var re *promcr.ResourceError
	if !errors.As(errs[0], &re) {
		t.Error("not a *promcr.ResourceError")
	}
}
