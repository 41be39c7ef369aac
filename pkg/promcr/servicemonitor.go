package promcr

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/relabel"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// ServiceMonitorJobName is the Prometheus Operator's job name for endpoint i of a ServiceMonitor.
func ServiceMonitorJobName(namespace, name string, i int) string {
	return fmt.Sprintf("serviceMonitor/%s/%s/%d", namespace, name, i)
}

// ServiceMonitorScrapeConfigs converts a ServiceMonitor into one scrape config per
// endpoint. Any problem rejects the whole monitor with a *ResourceError.
func ServiceMonitorScrapeConfigs(sm *monitoringv1.ServiceMonitor, opts Options) ([]*config.ScrapeConfig, error) {
	out := make([]*config.ScrapeConfig, 0, len(sm.Spec.Endpoints))
	for i := range sm.Spec.Endpoints {
		sc, err := serviceMonitorEndpoint(sm, i, opts)
		if err != nil {
			return nil, resourceError(KindServiceMonitor, sm.Namespace, sm.Name, fmt.Errorf("endpoints[%d]: %w", i, err))
		}
		out = append(out, sc)
	}
	return out, nil
}

func serviceMonitorEndpoint(sm *monitoringv1.ServiceMonitor, i int, opts Options) (*config.ScrapeConfig, error) {
	ep := sm.Spec.Endpoints[i]
	sc := newScrapeConfig(ServiceMonitorJobName(sm.Namespace, sm.Name, i))
	class, err := opts.scrapeClass(sm.Spec.ScrapeClassName)
	if err != nil {
		return nil, err
	}
	files := []fileField{{"bearerTokenFile", ep.BearerTokenFile}} //nolint:staticcheck // still served by the CRD
	if t := ep.TLSConfig; t != nil {
		files = append(files, fileField{"tlsConfig.caFile", t.CAFile}, fileField{"tlsConfig.certFile", t.CertFile},
			fileField{"tlsConfig.keyFile", t.KeyFile})
	}
	if err := opts.checkFileAccess(files...); err != nil {
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
		sampleLimit: sm.Spec.SampleLimit, targetLimit: sm.Spec.TargetLimit, labelLimit: sm.Spec.LabelLimit,
		labelNameLengthLimit: sm.Spec.LabelNameLengthLimit, labelValueLengthLimit: sm.Spec.LabelValueLengthLimit,
		keepDroppedTargets: sm.Spec.KeepDroppedTargets, nativeHistograms: sm.Spec.NativeHistogramConfig,
		protocols: sm.Spec.ScrapeProtocols, fallback: mergeFallbackProtocol(sm.Spec.FallbackScrapeProtocol, class),
		bodySizeLimit: sm.Spec.BodySizeLimit,
	}); err != nil {
		return nil, err
	}

	r := refs{namespace: sm.Namespace, secrets: opts.Secrets, configMaps: opts.ConfigMaps}
	sc.HTTPClientConfig, err = r.httpClientConfig(httpSettings{
		auth:            ep.HTTPConfigWithoutTLS,
		authorization:   mergeAuthorization(ep.Authorization, class),
		tls:             mergeTLS(ep.TLSConfig, class),
		proxy:           ep.ProxyConfig,
		bearerTokenFile: ep.BearerTokenFile, //nolint:staticcheck // still served by the CRD
	})
	if err != nil {
		return nil, err
	}

	role, err := endpointRole(sm.Spec.ServiceDiscoveryRole, opts.ServiceDiscoveryRole)
	if err != nil {
		return nil, err
	}
	sc.ServiceDiscoveryConfigs, err = kubernetesSD(role, sdNamespaces(sm.Spec.NamespaceSelector, sm.Namespace),
		mergeAttachMetadata(sm.Spec.AttachMetadata, class), sm.Spec.SelectorMechanism, sm.Spec.Selector, role, kubernetes.RoleService)
	if err != nil {
		return nil, err
	}

	rules, err := serviceMonitorRules(sm, ep, role)
	if err != nil {
		return nil, err
	}
	if err := applyRelabelings(sc, rules, class, ep.RelabelConfigs, ep.MetricRelabelConfigs, "relabelings"); err != nil {
		return nil, err
	}
	return sc, nil
}

// serviceMonitorRules are the Prometheus Operator's generated target relabelings for a
// ServiceMonitor endpoint, in its order, minus the sharding rules.
func serviceMonitorRules(sm *monitoringv1.ServiceMonitor, ep monitoringv1.Endpoint, role kubernetes.Role) ([]rule, error) {
	rules := []rule{jobNameRule()}

	if !usesRoleSelector(sm.Spec.SelectorMechanism) {
		sel, err := selectorRules("service", sm.Spec.Selector)
		if err != nil {
			return nil, err
		}
		rules = append(rules, sel...)
	}

	portName, targetKind, targetName := "__meta_kubernetes_endpoint_port_name",
		"__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"
	if role == kubernetes.RoleEndpointSlice {
		portName, targetKind, targetName = "__meta_kubernetes_endpointslice_port_name",
			"__meta_kubernetes_endpointslice_address_target_kind", "__meta_kubernetes_endpointslice_address_target_name"
	}

	// The service port name is on the endpoint; a targetPort can only be matched against
	// the pod's container port, by name or number.
	endpointLabel := ""
	switch {
	case ep.Port != "":
		rules = append(rules, rule{action: relabel.Keep, source: []string{portName}, regex: ep.Port})
		endpointLabel = ep.Port
	case ep.TargetPort != nil:
		r, err := targetPortRule(*ep.TargetPort)
		if err != nil {
			return nil, err
		}
		if r != nil {
			rules = append(rules, *r)
		}
		endpointLabel = ep.TargetPort.String()
	}

	rules = append(rules,
		rule{source: []string{targetKind, targetName}, separator: ";", regex: "Node;(.*)", replacement: "${1}", target: "node"},
		rule{source: []string{targetKind, targetName}, separator: ";", regex: "Pod;(.*)", replacement: "${1}", target: "pod"},
		rule{source: []string{"__meta_kubernetes_namespace"}, target: "namespace"},
		rule{source: []string{"__meta_kubernetes_service_name"}, target: "service"},
		rule{source: []string{"__meta_kubernetes_pod_name"}, target: "pod"},
		rule{source: []string{"__meta_kubernetes_pod_container_name"}, target: "container"},
	)
	if ptr.Deref(ep.FilterRunning, true) {
		rules = append(rules, runningFilter())
	}
	rules = append(rules, copyLabelRules("__meta_kubernetes_service_label_", sm.Spec.TargetLabels)...)
	rules = append(rules, copyLabelRules("__meta_kubernetes_pod_label_", sm.Spec.PodTargetLabels)...)

	// job is the service name, overridden by the jobLabel's value where the service has it.
	rules = append(rules, rule{source: []string{"__meta_kubernetes_service_name"}, target: "job", replacement: "${1}"})
	if sm.Spec.JobLabel != "" {
		rules = append(rules, rule{
			source: []string{"__meta_kubernetes_service_label_" + sanitizeLabelName(sm.Spec.JobLabel)},
			target: "job", regex: "(.+)", replacement: "${1}",
		})
	}
	if endpointLabel != "" {
		rules = append(rules, rule{target: "endpoint", replacement: endpointLabel})
	}
	return rules, nil
}

// targetPortRule keeps targets whose container port matches targetPort; nil when the
// value is empty (0 or ""), which the Prometheus Operator treats as "any port".
func targetPortRule(tp intstr.IntOrString) (*rule, error) {
	switch tp.Type {
	case intstr.String:
		if tp.StrVal == "" {
			return nil, nil
		}
		return &rule{action: relabel.Keep, source: []string{"__meta_kubernetes_pod_container_port_name"}, regex: tp.StrVal}, nil
	case intstr.Int:
		if tp.IntVal == 0 {
			return nil, nil
		}
		if tp.IntVal < 0 || tp.IntVal > 65535 {
			return nil, fmt.Errorf("targetPort %d out of range", tp.IntVal)
		}
		return &rule{action: relabel.Keep, source: []string{"__meta_kubernetes_pod_container_port_number"}, regex: itoa(tp.IntVal)}, nil
	}
	return nil, fmt.Errorf("targetPort: unknown port type %d", tp.Type)
}
