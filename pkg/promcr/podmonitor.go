package promcr

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/relabel"
	"k8s.io/utils/ptr"
)

// PodMonitorJobName is the Prometheus Operator's job name for endpoint i of a PodMonitor.
func PodMonitorJobName(namespace, name string, i int) string {
	return fmt.Sprintf("podMonitor/%s/%s/%d", namespace, name, i)
}

// PodMonitorScrapeConfigs converts a PodMonitor into one scrape config per
// podMetricsEndpoint. Any problem rejects the whole monitor with a *ResourceError.
func PodMonitorScrapeConfigs(pm *monitoringv1.PodMonitor, opts Options) ([]*config.ScrapeConfig, error) {
	out := make([]*config.ScrapeConfig, 0, len(pm.Spec.PodMetricsEndpoints))
	for i := range pm.Spec.PodMetricsEndpoints {
		sc, err := podMonitorEndpoint(pm, i, opts)
		if err != nil {
			return nil, resourceError(KindPodMonitor, pm.Namespace, pm.Name, fmt.Errorf("podMetricsEndpoints[%d]: %w", i, err))
		}
		out = append(out, sc)
	}
	return out, nil
}

func podMonitorEndpoint(pm *monitoringv1.PodMonitor, i int, opts Options) (*config.ScrapeConfig, error) {
	ep := pm.Spec.PodMetricsEndpoints[i]
	sc := newScrapeConfig(PodMonitorJobName(pm.Namespace, pm.Name, i))
	class, err := opts.scrapeClass(pm.Spec.ScrapeClassName)
	if err != nil {
		return nil, err
	}

	err = applyEndpoint(sc, endpointSettings{
		interval: ep.Interval, timeout: ep.ScrapeTimeout, path: ep.Path, scheme: ep.Scheme, params: ep.Params,
		honorLabels: ep.HonorLabels, honorTimestamps: ep.HonorTimestamps, trackTimestampsStaleness: ep.TrackTimestampsStaleness,
	}, opts)
	if err != nil {
		return nil, err
	}
	if err := applySpec(sc, specSettings{
		sampleLimit: pm.Spec.SampleLimit, targetLimit: pm.Spec.TargetLimit, labelLimit: pm.Spec.LabelLimit,
		labelNameLengthLimit: pm.Spec.LabelNameLengthLimit, labelValueLengthLimit: pm.Spec.LabelValueLengthLimit,
		keepDroppedTargets: pm.Spec.KeepDroppedTargets, nativeHistograms: pm.Spec.NativeHistogramConfig,
		protocols: pm.Spec.ScrapeProtocols, fallback: mergeFallbackProtocol(pm.Spec.FallbackScrapeProtocol, class),
		bodySizeLimit: pm.Spec.BodySizeLimit,
	}); err != nil {
		return nil, err
	}

	r := refs{namespace: pm.Namespace, secrets: opts.Secrets, configMaps: opts.ConfigMaps}
	sc.HTTPClientConfig, err = r.httpClientConfig(httpSettings{
		auth: ep.HTTPConfigWithoutTLS, authorization: mergeAuthorization(ep.Authorization, class),
		tls: mergeSafeTLS(ep.TLSConfig, class), proxy: ep.ProxyConfig,
	})
	if err != nil {
		return nil, err
	}

	sc.ServiceDiscoveryConfigs, err = kubernetesSD(kubernetes.RolePod, sdNamespaces(pm.Spec.NamespaceSelector, pm.Namespace),
		mergeAttachMetadata(pm.Spec.AttachMetadata, class), pm.Spec.SelectorMechanism, pm.Spec.Selector, kubernetes.RolePod)
	if err != nil {
		return nil, err
	}

	rules, err := podMonitorRules(pm, ep)
	if err != nil {
		return nil, err
	}
	if err := applyRelabelings(sc, rules, class, ep.RelabelConfigs, ep.MetricRelabelConfigs, "relabelings"); err != nil {
		return nil, err
	}
	return sc, nil
}

// podMonitorRules are the Prometheus Operator's generated target relabelings for a
// PodMonitor endpoint, in its order, minus the sharding rules.
func podMonitorRules(pm *monitoringv1.PodMonitor, ep monitoringv1.PodMetricsEndpoint) ([]rule, error) {
	rules := []rule{jobNameRule()}
	if ptr.Deref(ep.FilterRunning, true) {
		rules = append(rules, runningFilter())
	}
	if !usesRoleSelector(pm.Spec.SelectorMechanism) {
		sel, err := selectorRules("pod", pm.Spec.Selector)
		if err != nil {
			return nil, err
		}
		rules = append(rules, sel...)
	}

	// port (name) wins over portNumber, which wins over the deprecated targetPort. The
	// endpoint label is the port name, else the targetPort, also when portNumber chose
	// the port (as the Prometheus Operator labels it).
	endpointLabel := ""
	if ep.TargetPort != nil { //nolint:staticcheck // deprecated but still served by the CRD
		endpointLabel = ep.TargetPort.String() //nolint:staticcheck // as above
	}
	switch {
	case ptr.Deref(ep.Port, "") != "":
		rules = append(rules, rule{action: relabel.Keep, source: []string{"__meta_kubernetes_pod_container_port_name"}, regex: *ep.Port})
		endpointLabel = *ep.Port
	case ptr.Deref(ep.PortNumber, 0) != 0:
		n := *ep.PortNumber
		if n < 1 || n > 65535 {
			return nil, fmt.Errorf("portNumber %d out of range", n)
		}
		rules = append(rules, rule{action: relabel.Keep, source: []string{"__meta_kubernetes_pod_container_port_number"}, regex: itoa(n)})
	case ep.TargetPort != nil: //nolint:staticcheck // deprecated but still served by the CRD
		r, err := targetPortRule(*ep.TargetPort) //nolint:staticcheck // as above
		if err != nil {
			return nil, err
		}
		if r != nil {
			rules = append(rules, *r)
		}
	}

	rules = append(rules,
		rule{source: []string{"__meta_kubernetes_namespace"}, target: "namespace"},
		rule{source: []string{"__meta_kubernetes_pod_container_name"}, target: "container"},
		rule{source: []string{"__meta_kubernetes_pod_name"}, target: "pod"},
	)
	rules = append(rules, copyLabelRules("__meta_kubernetes_pod_label_", pm.Spec.PodTargetLabels)...)

	// job is <namespace>/<name> of the PodMonitor, overridden by the jobLabel's value
	// where the pod has it.
	rules = append(rules, rule{target: "job", replacement: pm.Namespace + "/" + pm.Name})
	if pm.Spec.JobLabel != "" {
		rules = append(rules, rule{
			source: []string{"__meta_kubernetes_pod_label_" + sanitizeLabelName(pm.Spec.JobLabel)},
			target: "job", regex: "(.+)", replacement: "${1}",
		})
	}
	if endpointLabel != "" {
		rules = append(rules, rule{target: "endpoint", replacement: endpointLabel})
	}
	return rules, nil
}
