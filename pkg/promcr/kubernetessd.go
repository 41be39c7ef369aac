package promcr

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// sdNamespaces applies the monitor's namespaceSelector the Prometheus Operator's way:
// any means every namespace (no list), matchNames lists them, and nothing means the
// monitor's own namespace.
func sdNamespaces(sel monitoringv1.NamespaceSelector, own string) []string {
	switch {
	case sel.Any:
		return nil
	case len(sel.MatchNames) == 0:
		return []string{own}
	default:
		return append([]string(nil), sel.MatchNames...)
	}
}

// kubernetesSD builds the single kubernetes_sd_config of a monitor job. With the
// RoleSelector mechanism the monitor's selector also goes to the API server as a label
// selector for each of selectorRoles, instead of (not in addition to) relabel rules.
func kubernetesSD(role kubernetes.Role, namespaces []string, attach *monitoringv1.AttachMetadata,
	mechanism *monitoringv1.SelectorMechanism, sel metav1.LabelSelector, selectorRoles ...kubernetes.Role,
) (discovery.Configs, error) {
	sd := kubernetes.DefaultSDConfig
	sd.Role = role
	sd.NamespaceDiscovery.Names = namespaces
	if attach != nil {
		sd.AttachMetadata.Node = ptr.Deref(attach.Node, false)
	}
	if usesRoleSelector(mechanism) {
		s, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			return nil, fmt.Errorf("selector: %w", err)
		}
		for _, r := range selectorRoles {
			sd.Selectors = append(sd.Selectors, kubernetes.SelectorConfig{Role: r, Label: s.String()})
		}
	}
	return discovery.Configs{&sd}, nil
}

func usesRoleSelector(m *monitoringv1.SelectorMechanism) bool {
	return ptr.Deref(m, monitoringv1.SelectorMechanismRelabel) == monitoringv1.SelectorMechanismRole
}

// endpointRole picks the ServiceMonitor's discovery role: the monitor's own choice, then
// the caller's default, then EndpointSlice.
func endpointRole(monitor *monitoringv1.ServiceDiscoveryRole, def monitoringv1.ServiceDiscoveryRole) (kubernetes.Role, error) {
	r := def
	if monitor != nil {
		r = *monitor
	}
	switch r {
	case "", monitoringv1.EndpointSliceRole:
		return kubernetes.RoleEndpointSlice, nil
	case monitoringv1.EndpointsRole:
		return kubernetes.RoleEndpoint, nil
	}
	return "", fmt.Errorf("unknown serviceDiscoveryRole %q", r)
}
