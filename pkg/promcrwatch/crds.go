package promcrwatch

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// servedKinds says which monitoring resources the API server serves. An informer for a resource that is not
// served fails its list forever (a log line every few seconds and a cache that never syncs, so the TA would never
// turn ready); checking first lets a missing CRD cost one log line.
type servedKinds struct {
	serviceMonitors, podMonitors, probes, scrapeConfigs bool
}

func discoverServed(dc discovery.DiscoveryInterface) (servedKinds, error) {
	v1, err := resourcesOf(dc, monitoringv1.SchemeGroupVersion)
	if err != nil {
		return servedKinds{}, err
	}
	v1alpha1, err := resourcesOf(dc, monitoringv1alpha1.SchemeGroupVersion)
	if err != nil {
		return servedKinds{}, err
	}
	return servedKinds{
		serviceMonitors: v1[monitoringv1.ServiceMonitorName],
		podMonitors:     v1[monitoringv1.PodMonitorName],
		probes:          v1[monitoringv1.ProbeName],
		scrapeConfigs:   v1alpha1[monitoringv1alpha1.ScrapeConfigName],
	}, nil
}

// resourcesOf returns the resource names served in gv; a group version that is not served at all is empty, not
// an error.
func resourcesOf(dc discovery.DiscoveryInterface, gv schema.GroupVersion) (map[string]bool, error) {
	list, err := dc.ServerResourcesForGroupVersion(gv.String())
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discovering %s resources: %w", gv, err)
	}
	out := make(map[string]bool, len(list.APIResources))
	for _, r := range list.APIResources {
		out[r.Name] = true
	}
	return out, nil
}
