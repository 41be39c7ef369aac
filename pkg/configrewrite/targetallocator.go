package configrewrite

import (
	"maps"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TargetAllocatorConfig returns the TA's config file (YAML) for the same collector config:
// the scrape configs of all prometheus receivers with their original service discovery, as
// the TA must see them, plus the TA settings of opts.
//
// The scrape configs are un-escaped the way the collector un-escapes its own config (`$$`
// becomes `$` in every string value), since the TA does no such expansion. `${env:X}`
// references are not expanded: the TA has no access to the collector's environment.
//
// The TA file has one global section: the first receiver's that has one. Jobs of receivers
// with another global get their resolved scrape_interval and scrape_timeout written out, so
// that the chosen global cannot change them (or make them invalid); other global defaults
// (limits, protocols) do not matter to discovery and are not carried over.
func TargetAllocatorConfig(config string, opts TAOptions) (string, error) {
	receivers, err := analyze(config, opts.AllowFileAccess)
	if err != nil {
		return "", err
	}
	var global *yaml.Node
	for _, r := range receivers {
		if r.global != nil {
			global = r.global
			break
		}
	}
	var jobs []*yaml.Node
	for _, r := range receivers {
		foreign := !sameYAML(r.global, global)
		for _, j := range r.jobs {
			c := taCopy(j.node)
			if foreign {
				setIfAbsent(c, "scrape_interval", j.interval)
				setIfAbsent(c, "scrape_timeout", j.timeout)
			}
			jobs = append(jobs, c)
		}
	}
	var promConfig []*yaml.Node
	if global != nil {
		promConfig = append(promConfig, scalar("global"), taCopy(global))
	}
	promConfig = append(promConfig, scalar("scrape_configs"), sequence(jobs...))
	// Each job was valid on its own; check that together they still are (job names, globals).
	if _, err := loadPrometheus(mapping(promConfig...)); err != nil {
		return "", errorf(KindInvalidScrapeConfig, "the target allocator's scrape configs, taken together, are rejected by Prometheus: %w", err)
	}

	var file []*yaml.Node
	if len(opts.CollectorSelector) > 0 {
		file = append(file, scalar("collector_selector"), labelSelector(&metav1.LabelSelector{MatchLabels: opts.CollectorSelector}))
	}
	file = append(file, scalar("config"), mapping(promConfig...))
	file = appendString(file, "allocation_strategy", opts.AllocationStrategy)
	file = appendString(file, "allocation_fallback_strategy", opts.AllocationFallbackStrategy)
	file = appendString(file, "filter_strategy", opts.FilterStrategy)
	file = append(file, scalar("collector_not_ready_grace_period"), scalar(opts.CollectorNotReadyGracePeriod.String()))
	if cr := opts.PrometheusCR; cr.Enabled {
		file = append(file, scalar("prometheus_cr"), prometheusCR(cr))
	}
	if h := opts.HTTPS; h != nil {
		file = append(file, scalar("https"), mapping(
			scalar("enabled"), boolean(true),
			scalar("listen_addr"), scalar(h.ListenAddr),
			scalar("ca_file_path"), scalar(h.CAFile),
			scalar("tls_cert_file_path"), scalar(h.CertFile),
			scalar("tls_key_file_path"), scalar(h.KeyFile),
		))
	}
	if opts.AllowInsecureAuthSecrets {
		file = append(file, scalar("allow_insecure_auth_secrets"), boolean(true))
	}
	return encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapping(file...)}})
}

// sameYAML reports whether two nodes hold the same values (comments and style aside).
func sameYAML(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	var va, vb any
	if a.Decode(&va) != nil || b.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// setIfAbsent adds key: value at the end of mapping m unless m has the key.
func setIfAbsent(m *yaml.Node, key, value string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return
		}
	}
	m.Content = append(m.Content, scalar(key), scalar(value))
}

// taCopy is a scrape config (or global) as the TA must read it.
func taCopy(n *yaml.Node) *yaml.Node {
	c := deepCopy(n)
	unescapeDollars(c)
	return c
}

func prometheusCR(cr PrometheusCROptions) *yaml.Node {
	m := []*yaml.Node{scalar("enabled"), boolean(true)}
	if cr.ScrapeInterval != 0 {
		m = append(m, scalar("scrape_interval"), scalar(cr.ScrapeInterval.String()))
	}
	for _, s := range []struct {
		key string
		sel *metav1.LabelSelector
	}{
		{"service_monitor_selector", cr.ServiceMonitorSelector},
		{"service_monitor_namespace_selector", cr.ServiceMonitorNamespaceSelector},
		{"pod_monitor_selector", cr.PodMonitorSelector},
		{"pod_monitor_namespace_selector", cr.PodMonitorNamespaceSelector},
		{"probe_selector", cr.ProbeSelector},
		{"probe_namespace_selector", cr.ProbeNamespaceSelector},
		{"scrape_config_selector", cr.ScrapeConfigSelector},
		{"scrape_config_namespace_selector", cr.ScrapeConfigNamespaceSelector},
	} {
		if s.sel != nil {
			m = append(m, scalar(s.key), labelSelector(s.sel))
		}
	}
	m = appendStrings(m, "allow_namespaces", cr.AllowNamespaces)
	m = appendStrings(m, "deny_namespaces", cr.DenyNamespaces)
	return mapping(m...)
}

// labelSelector writes a metav1.LabelSelector with the lowercase keys of the reference TA
// (its YAML library lowercases the Go field names); ours accepts these too. Label keys are
// sorted so that the file, and the config hash on the TA's pods, only change with content.
func labelSelector(sel *metav1.LabelSelector) *yaml.Node {
	var m []*yaml.Node
	if len(sel.MatchLabels) > 0 {
		var labels []*yaml.Node
		for _, k := range slices.Sorted(maps.Keys(sel.MatchLabels)) {
			labels = append(labels, scalar(k), scalar(sel.MatchLabels[k]))
		}
		m = append(m, scalar("matchlabels"), mapping(labels...))
	}
	if len(sel.MatchExpressions) > 0 {
		var exprs []*yaml.Node
		for _, e := range sel.MatchExpressions {
			x := []*yaml.Node{scalar("key"), scalar(e.Key), scalar("operator"), scalar(string(e.Operator))}
			x = appendStrings(x, "values", e.Values)
			exprs = append(exprs, mapping(x...))
		}
		m = append(m, scalar("matchexpressions"), sequence(exprs...))
	}
	n := mapping(m...)
	if len(m) == 0 {
		n.Style = yaml.FlowStyle // an empty selector reads as {}
	}
	return n
}

func appendString(m []*yaml.Node, key, value string) []*yaml.Node {
	if value == "" {
		return m
	}
	return append(m, scalar(key), scalar(value))
}

func appendStrings(m []*yaml.Node, key string, values []string) []*yaml.Node {
	if len(values) == 0 {
		return m
	}
	var items []*yaml.Node
	for _, v := range values {
		items = append(items, scalar(v))
	}
	return append(m, scalar(key), sequence(items...))
}

func boolean(v bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
	if v {
		n.Value = "true"
	}
	return n
}
