package promcr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// defaultProbePath is the CRD's default for spec.prober.path (the blackbox exporter's).
const defaultProbePath = "/probe"

// ProbeJobName is the Prometheus Operator's job name for a Probe.
func ProbeJobName(namespace, name string) string {
	return fmt.Sprintf("probe/%s/%s", namespace, name)
}

// ProbeScrapeConfigs converts a Probe into its single scrape config: the targets (static
// or discovered Ingresses) become the prober's target parameter and the prober is
// scraped. When both spec.targets.staticConfig and spec.targets.ingress are set, the
// static config wins, as in the Prometheus Operator. Any problem rejects the Probe with a
// *ResourceError.
func ProbeScrapeConfigs(p *monitoringv1.Probe, opts Options) ([]*config.ScrapeConfig, error) {
	sc, err := probeScrapeConfig(p, opts)
	if err != nil {
		return nil, resourceError(KindProbe, p.Namespace, p.Name, err)
	}
	return []*config.ScrapeConfig{sc}, nil
}

func probeScrapeConfig(p *monitoringv1.Probe, opts Options) (*config.ScrapeConfig, error) {
	spec := p.Spec
	if err := spec.Targets.Validate(); err != nil {
		return nil, err
	}
	if err := validateProberURL(spec.ProberSpec.URL); err != nil {
		return nil, fmt.Errorf("prober.url: %w", err)
	}

	sc := newScrapeConfig(ProbeJobName(p.Namespace, p.Name))
	class, err := opts.scrapeClass(spec.ScrapeClassName)
	if err != nil {
		return nil, err
	}
	path := spec.ProberSpec.Path
	if path == "" {
		path = defaultProbePath
	}
	err = applyEndpoint(sc, endpointSettings{
		interval: spec.Interval, timeout: spec.ScrapeTimeout, path: path, scheme: spec.ProberSpec.Scheme,
		params: probeParams(spec),
	}, opts)
	if err != nil {
		return nil, err
	}
	if err := applySpec(sc, specSettings{
		sampleLimit: spec.SampleLimit, targetLimit: spec.TargetLimit, labelLimit: spec.LabelLimit,
		labelNameLengthLimit: spec.LabelNameLengthLimit, labelValueLengthLimit: spec.LabelValueLengthLimit,
		keepDroppedTargets: spec.KeepDroppedTargets, nativeHistograms: spec.NativeHistogramConfig,
		protocols: spec.ScrapeProtocols, fallback: mergeFallbackProtocol(spec.FallbackScrapeProtocol, class),
	}); err != nil {
		return nil, err
	}

	r := refs{namespace: p.Namespace, secrets: opts.Secrets, configMaps: opts.ConfigMaps}
	// ProbeSpec.Authorization shadows the embedded HTTPConfig's field of the same name:
	// the CRD's "authorization" decodes into the top-level one only.
	sc.HTTPClientConfig, err = r.httpClientConfig(httpSettings{
		auth: spec.HTTPConfigWithoutTLS, authorization: mergeAuthorization(spec.Authorization, class),
		tls: mergeSafeTLS(spec.TLSConfig, class), proxy: spec.ProberSpec.ProxyConfig,
	})
	if err != nil {
		return nil, err
	}

	rules := []rule{jobNameRule()}
	if spec.JobName != "" {
		rules = append(rules, rule{target: "job", replacement: spec.JobName})
	}
	var user []monitoringv1.RelabelConfig
	userField := ""
	switch {
	case spec.Targets.StaticConfig != nil:
		st := spec.Targets.StaticConfig
		if sc.ServiceDiscoveryConfigs, err = probeStaticSD(st, p.Namespace); err != nil {
			return nil, err
		}
		rules = append(rules,
			rule{source: []string{"__address__"}, target: "__param_target"},
			rule{source: []string{"__param_target"}, target: "instance"},
			rule{target: "__address__", replacement: spec.ProberSpec.URL},
		)
		user, userField = st.RelabelConfigs, "targets.staticConfig.relabelingConfigs"
	case spec.Targets.Ingress != nil:
		ing := spec.Targets.Ingress
		sel, err := selectorRules("ingress", ing.Selector)
		if err != nil {
			return nil, fmt.Errorf("targets.ingress.%w", err)
		}
		rules = append(rules, sel...)
		sc.ServiceDiscoveryConfigs, err = kubernetesSD(kubernetes.RoleIngress, sdNamespaces(ing.NamespaceSelector, p.Namespace),
			nil, nil, ing.Selector)
		if err != nil {
			return nil, err
		}
		rules = append(rules,
			// scheme://host/path of each Ingress rule path is what the prober probes.
			rule{
				source:    []string{"__meta_kubernetes_ingress_scheme", "__address__", "__meta_kubernetes_ingress_path"},
				separator: ";", regex: "(.+);(.+);(.+)", target: "__param_target", replacement: "${1}://${2}${3}",
			},
			rule{source: []string{"__meta_kubernetes_namespace"}, target: "namespace"},
			rule{source: []string{"__meta_kubernetes_ingress_name"}, target: "ingress"},
			rule{source: []string{"__address__"}, target: "__tmp_ingress_address"},
			rule{source: []string{"__param_target"}, target: "instance"},
			rule{target: "__address__", replacement: spec.ProberSpec.URL},
		)
		user, userField = ing.RelabelConfigs, "targets.ingress.relabelingConfigs"
	}
	if err := applyRelabelings(sc, rules, class, user, spec.MetricRelabelConfigs, userField); err != nil {
		return nil, err
	}
	return sc, nil
}

// probeParams are the prober's URL parameters: module from spec.module, which wins over
// a "module" entry in spec.params, then the other params.
func probeParams(spec monitoringv1.ProbeSpec) map[string][]string {
	params := map[string][]string{}
	if spec.Module != "" {
		params["module"] = []string{spec.Module}
	}
	for _, prm := range spec.Params {
		if spec.Module != "" && prm.Name == "module" {
			continue
		}
		params[prm.Name] = append(params[prm.Name], prm.Values...)
	}
	if len(params) == 0 {
		return nil
	}
	return params
}

// probeStaticSD is the single static target group of a Probe. Its labels get the Probe's
// namespace as "namespace" unless they set one themselves. The Probe is not mutated.
func probeStaticSD(st *monitoringv1.ProbeTargetStaticConfig, namespace string) (discovery.Configs, error) {
	lbls := model.LabelSet{"namespace": model.LabelValue(namespace)}
	for _, k := range sortedKeys(st.Labels) {
		if !model.UTF8Validation.IsValidLabelName(k) {
			return nil, fmt.Errorf("targets.staticConfig.labels: invalid label %q", k)
		}
		lbls[model.LabelName(k)] = model.LabelValue(st.Labels[k])
	}
	g := &targetgroup.Group{Labels: lbls, Source: "0"}
	for i, t := range st.Targets {
		if t == "" {
			return nil, fmt.Errorf("targets.staticConfig.static[%d]: empty target", i)
		}
		g.Targets = append(g.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(t)})
	}
	return discovery.Configs{discovery.StaticConfig{g}}, nil
}

// validateProberURL accepts what the Prometheus Operator accepts for spec.prober.url:
// a host or host:port, no scheme or path (those are spec.prober.scheme and path).
func validateProberURL(u string) error {
	if u == "" {
		return errors.New("empty; want host or host:port")
	}
	host := u
	if h, port, err := net.SplitHostPort(u); err == nil {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 {
			return fmt.Errorf("invalid port %q in %q", port, u)
		}
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return fmt.Errorf("invalid host in %q; want host or host:port", u)
	}
	if _, err := url.Parse("http://" + u); err != nil {
		return fmt.Errorf("invalid %q: %w", u, err)
	}
	return nil
}
