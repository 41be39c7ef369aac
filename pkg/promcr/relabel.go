package promcr

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/relabel"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var invalidLabelChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// sanitizeLabelName maps a Kubernetes label key to the suffix Kubernetes SD uses in its
// __meta_kubernetes_*_label_<key> names (the same mapping the Prometheus Operator uses).
func sanitizeLabelName(name string) string {
	return invalidLabelChar.ReplaceAllString(name, "_")
}

// rule describes one generated relabeling in the Prometheus Operator's terms; unset
// fields keep Prometheus' defaults (separator ";", regex "(.*)", replacement "$1",
// action replace), exactly as if the rule had been loaded from YAML.
type rule struct {
	action      relabel.Action
	source      []string
	separator   string
	regex       string
	target      string
	replacement string
}

func (r rule) config() (*relabel.Config, error) {
	c := relabel.DefaultRelabelConfig
	if r.action != "" {
		c.Action = r.action
	}
	c.SourceLabels = labelNames(r.source)
	if r.separator != "" {
		c.Separator = r.separator
	}
	if r.regex != "" {
		re, err := relabel.NewRegexp(r.regex)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", r.regex, err)
		}
		c.Regex = re
	}
	c.TargetLabel = r.target
	if r.replacement != "" {
		c.Replacement = r.replacement
	}
	if err := c.Validate(model.UTF8Validation); err != nil {
		return nil, err
	}
	return &c, nil
}

func labelNames(names []string) model.LabelNames {
	if len(names) == 0 {
		return nil
	}
	out := make(model.LabelNames, len(names))
	for i, n := range names {
		out[i] = model.LabelName(n)
	}
	return out
}

// compile turns generated rules into relabel configs; generated rules come from user
// input too (selector values end up in regexes), so they can fail.
func compile(rules []rule) ([]*relabel.Config, error) {
	out := make([]*relabel.Config, 0, len(rules))
	for i, r := range rules {
		c, err := r.config()
		if err != nil {
			return nil, fmt.Errorf("generated relabeling %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// jobNameRule keeps the job name (which Prometheus puts in the job label before
// relabeling) reachable after user rules overwrite job; the Prometheus Operator starts
// every job with it.
func jobNameRule() rule {
	return rule{source: []string{"job"}, target: "__tmp_prometheus_job_name"}
}

// runningFilter drops targets of finished pods (the endpoint's filterRunning, default on).
func runningFilter() rule {
	return rule{action: relabel.Drop, source: []string{"__meta_kubernetes_pod_phase"}, regex: "(Failed|Succeeded)"}
}

// selectorRules translates the monitor's label selector into keep/drop rules on the
// discovered object's labels (kind is "service" or "pod"), matching the Prometheus
// Operator's relabel selector mechanism.
func selectorRules(kind string, sel metav1.LabelSelector) ([]rule, error) {
	if _, err := metav1.LabelSelectorAsSelector(&sel); err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	label := "__meta_kubernetes_" + kind + "_label_"
	present := "__meta_kubernetes_" + kind + "_labelpresent_"
	var rules []rule
	for _, k := range sortedKeys(sel.MatchLabels) {
		rules = append(rules, rule{
			action: relabel.Keep,
			source: []string{label + sanitizeLabelName(k), present + sanitizeLabelName(k)},
			regex:  fmt.Sprintf("(%s);true", sel.MatchLabels[k]),
		})
	}
	for _, exp := range sel.MatchExpressions {
		key := sanitizeLabelName(exp.Key)
		switch exp.Operator {
		case metav1.LabelSelectorOpIn:
			rules = append(rules, rule{action: relabel.Keep, source: []string{label + key, present + key},
				regex: fmt.Sprintf("(%s);true", strings.Join(exp.Values, "|"))})
		case metav1.LabelSelectorOpNotIn:
			rules = append(rules, rule{action: relabel.Drop, source: []string{label + key, present + key},
				regex: fmt.Sprintf("(%s);true", strings.Join(exp.Values, "|"))})
		case metav1.LabelSelectorOpExists:
			rules = append(rules, rule{action: relabel.Keep, source: []string{present + key}, regex: "true"})
		case metav1.LabelSelectorOpDoesNotExist:
			rules = append(rules, rule{action: relabel.Drop, source: []string{present + key}, regex: "true"})
		default:
			// LabelSelectorAsSelector above rejects unknown operators; keep the switch total.
			return nil, fmt.Errorf("selector: unknown operator %q", exp.Operator)
		}
	}
	return rules, nil
}

// copyLabelRules copies object labels (targetLabels, podTargetLabels) onto the target
// when present.
func copyLabelRules(metaPrefix string, names []string) []rule {
	rules := make([]rule, 0, len(names))
	for _, l := range names {
		rules = append(rules, rule{
			source:      []string{metaPrefix + sanitizeLabelName(l)},
			target:      sanitizeLabelName(l),
			regex:       "(.+)",
			replacement: "${1}",
		})
	}
	return rules
}

// userRelabelConfigs converts the monitor's relabelings or metricRelabelings. Each rule is
// validated the way Prometheus validates a loaded config, so a bad one rejects the monitor
// here instead of breaking the collector's config reload later.
func userRelabelConfigs(field string, in []monitoringv1.RelabelConfig) ([]*relabel.Config, error) {
	out := make([]*relabel.Config, 0, len(in))
	for i, rc := range in {
		c := relabel.DefaultRelabelConfig
		for _, l := range rc.SourceLabels {
			c.SourceLabels = append(c.SourceLabels, model.LabelName(l))
		}
		if rc.Separator != nil {
			c.Separator = *rc.Separator
		}
		c.TargetLabel = rc.TargetLabel
		if rc.Regex != "" {
			re, err := relabel.NewRegexp(rc.Regex)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: invalid regex %q: %w", field, i, rc.Regex, err)
			}
			c.Regex = re
		}
		if rc.Modulus < 0 {
			return nil, fmt.Errorf("%s[%d]: negative modulus %d", field, i, rc.Modulus)
		}
		c.Modulus = uint64(rc.Modulus)
		if rc.Replacement != nil {
			c.Replacement = *rc.Replacement
		}
		if rc.Action != "" {
			a, err := relabelAction(rc.Action)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
			}
			c.Action = a
		}
		if err := c.Validate(model.UTF8Validation); err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		out = append(out, &c)
	}
	return out, nil
}

// applyRelabelings sets a job's relabelings in the Prometheus Operator's order: the
// generated rules, the scrape class's relabelings, the resource's own (field names them in
// errors); and for metrics the class's rules before the resource's.
func applyRelabelings(sc *config.ScrapeConfig, generated []rule, class monitoringv1.ScrapeClass,
	relabelings, metricRelabelings []monitoringv1.RelabelConfig, field string,
) error {
	var err error
	if sc.RelabelConfigs, err = compile(generated); err != nil {
		return err
	}
	classRules, err := userRelabelConfigs("scrape class "+class.Name+" relabelings", class.Relabelings)
	if err != nil {
		return err
	}
	own, err := userRelabelConfigs(field, relabelings)
	if err != nil {
		return err
	}
	sc.RelabelConfigs = append(append(sc.RelabelConfigs, classRules...), own...)

	classMetric, err := userRelabelConfigs("scrape class "+class.Name+" metricRelabelings", class.MetricRelabelings)
	if err != nil {
		return err
	}
	ownMetric, err := userRelabelConfigs("metricRelabelings", metricRelabelings)
	if err != nil {
		return err
	}
	sc.MetricRelabelConfigs = append(classMetric, ownMetric...)
	if len(sc.MetricRelabelConfigs) == 0 {
		sc.MetricRelabelConfigs = nil
	}
	return nil
}

var errUnknownAction = errors.New("unknown relabel action")

// relabelAction accepts the CRD's spellings (Replace, labeldrop, LabelDrop, ...) as
// Prometheus accepts them in YAML: case-insensitively.
func relabelAction(s string) (relabel.Action, error) {
	switch a := relabel.Action(strings.ToLower(s)); a {
	case relabel.Replace, relabel.Keep, relabel.Drop, relabel.KeepEqual, relabel.DropEqual,
		relabel.HashMod, relabel.LabelMap, relabel.LabelDrop, relabel.LabelKeep,
		relabel.Lowercase, relabel.Uppercase:
		return a, nil
	}
	return "", fmt.Errorf("%w %q", errUnknownAction, s)
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }
