package promcr

import (
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Selectors are the TA's prometheus_cr selection settings. They follow the Prometheus
// Operator: a nil resource selector selects no resources of its kind and an empty one ({})
// selects all of them; a nil namespace selector selects every namespace. AllowNamespaces
// (only these) and DenyNamespaces (all but these) are mutually exclusive and apply on top.
type Selectors struct {
	ServiceMonitorSelector          *metav1.LabelSelector
	ServiceMonitorNamespaceSelector *metav1.LabelSelector
	PodMonitorSelector              *metav1.LabelSelector
	PodMonitorNamespaceSelector     *metav1.LabelSelector
	ProbeSelector                   *metav1.LabelSelector
	ProbeNamespaceSelector          *metav1.LabelSelector
	ScrapeConfigSelector            *metav1.LabelSelector
	ScrapeConfigNamespaceSelector   *metav1.LabelSelector

	AllowNamespaces []string
	DenyNamespaces  []string
}

// kindSelector is one kind's compiled pair of selectors.
type kindSelector struct {
	resources, namespaces labels.Selector
}

type compiledSelectors struct {
	serviceMonitor, podMonitor, probe, scrapeConfig kindSelector
	allow, deny                                     []string
}

// Validate reports settings the TA should refuse at start-up: malformed selectors, or
// both allow and deny lists.
func (s Selectors) Validate() error {
	_, err := s.compile()
	return err
}

func (s Selectors) compile() (compiledSelectors, error) {
	if len(s.AllowNamespaces) > 0 && len(s.DenyNamespaces) > 0 {
		return compiledSelectors{}, errors.New("allow_namespaces and deny_namespaces are mutually exclusive")
	}
	var errs []error
	pair := func(kind string, res, ns *metav1.LabelSelector) kindSelector {
		// LabelSelectorAsSelector maps nil to Nothing and {} to Everything: the
		// Prometheus Operator's resource selector semantics.
		r, err := metav1.LabelSelectorAsSelector(res)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s selector: %w", kind, err))
		}
		n := labels.Everything()
		if ns != nil {
			if n, err = metav1.LabelSelectorAsSelector(ns); err != nil {
				errs = append(errs, fmt.Errorf("%s namespace selector: %w", kind, err))
			}
		}
		return kindSelector{resources: r, namespaces: n}
	}
	c := compiledSelectors{
		serviceMonitor: pair("service_monitor", s.ServiceMonitorSelector, s.ServiceMonitorNamespaceSelector),
		podMonitor:     pair("pod_monitor", s.PodMonitorSelector, s.PodMonitorNamespaceSelector),
		probe:          pair("probe", s.ProbeSelector, s.ProbeNamespaceSelector),
		scrapeConfig:   pair("scrape_config", s.ScrapeConfigSelector, s.ScrapeConfigNamespaceSelector),
		allow:          s.AllowNamespaces,
		deny:           s.DenyNamespaces,
	}
	return c, errors.Join(errs...)
}

// Select returns the resources of res that sel picks, each kind sorted by namespace and
// name. namespaces supplies namespace labels for the namespace selectors; a resource in a
// namespace missing from it is selected only by a namespace selector that matches
// everything, since nothing is known about that namespace's labels. Select neither
// mutates nor copies the resources.
func Select(sel Selectors, res Resources, namespaces []*corev1.Namespace) (Resources, error) {
	c, err := sel.compile()
	if err != nil {
		return Resources{}, err
	}
	nsLabels := make(map[string]labels.Set, len(namespaces))
	for _, ns := range namespaces {
		nsLabels[ns.Name] = labels.Set(ns.Labels)
	}
	return Resources{
		ServiceMonitors: pick(res.ServiceMonitors, c.serviceMonitor, c, nsLabels),
		PodMonitors:     pick(res.PodMonitors, c.podMonitor, c, nsLabels),
		Probes:          pick(res.Probes, c.probe, c, nsLabels),
		ScrapeConfigs:   pick(res.ScrapeConfigs, c.scrapeConfig, c, nsLabels),
	}, nil
}

func pick[T metav1.Object](items []T, k kindSelector, c compiledSelectors, nsLabels map[string]labels.Set) []T {
	var out []T
	for _, it := range items {
		if c.namespaceAllowed(it.GetNamespace()) && k.matches(it, nsLabels) {
			out = append(out, it)
		}
	}
	sortByNamespacedName(out)
	return out
}

func (c compiledSelectors) namespaceAllowed(ns string) bool {
	if len(c.allow) > 0 {
		return slices.Contains(c.allow, ns)
	}
	return !slices.Contains(c.deny, ns)
}

func (k kindSelector) matches(obj metav1.Object, nsLabels map[string]labels.Set) bool {
	if !k.resources.Matches(labels.Set(obj.GetLabels())) {
		return false
	}
	if k.namespaces.Empty() {
		return true
	}
	set, known := nsLabels[obj.GetNamespace()]
	return known && k.namespaces.Matches(set)
}
