package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
)

// Build returns every child the collector should have. An error means the CR cannot be turned into children
// (for example a config the rewrite rejects); the controller then keeps the children it has.
func Build(col *v1alpha1.OpenTelemetryCollector, opts Options) (*Children, error) {
	placeholder := opts.CollectorIDPlaceholder
	if placeholder == "" {
		placeholder = configrewrite.DefaultCollectorIDPlaceholder
	}
	config := col.Spec.Config
	if col.Spec.TargetAllocator.Enabled {
		var err error
		config, err = configrewrite.RewriteCollectorConfig(col.Spec.Config, configrewrite.Options{
			CollectorName:          col.Name,
			TargetAllocatorService: TargetAllocatorName(col.Name),
			CollectorIDPlaceholder: placeholder,
			PrometheusCR:           col.Spec.TargetAllocator.PrometheusCR.Enabled,
			TLS:                    collectorTLSFiles(col, opts),
			AllowFileAccess:        opts.AllowScrapeConfigFiles,
		})
		if err != nil {
			return nil, fmt.Errorf("rewriting the collector config: %w", err)
		}
	}
	ports, endpoints, err := receiverPorts(col.Spec.Config)
	if err != nil {
		return nil, err
	}
	// The Services publish these ports; the receivers must listen where the Services reach them.
	if config, err = configrewrite.SetReceiverEndpoints(config, endpoints); err != nil {
		return nil, fmt.Errorf("setting receiver endpoints: %w", err)
	}

	c := &Children{
		CollectorImage:         collectorImage(col, opts),
		ScaleSelector:          labels.SelectorFromSet(SelectorLabels(col, ComponentCollector)).String(),
		CollectorIDPlaceholder: placeholder,
	}
	c.ConfigMaps = append(c.ConfigMaps, collectorConfigMap(col, config))
	if mtlsEnabled(col, opts) {
		c.Secrets = CertificateSecrets(col, *opts.TargetAllocatorCertificates)
	}
	if col.Spec.ServiceAccount == "" {
		c.ServiceAccounts = append(c.ServiceAccounts, serviceAccount(col, ComponentCollector, CollectorName(col.Name)))
	}
	pod := collectorPodTemplate(col, opts, config, ports)
	switch col.Spec.Mode {
	case v1alpha1.ModeStatefulSet:
		c.StatefulSets = append(c.StatefulSets, collectorStatefulSet(col, pod))
		c.Services = append(c.Services, collectorHeadlessService(col, ports))
	case v1alpha1.ModeDaemonSet:
		c.DaemonSets = append(c.DaemonSets, collectorDaemonSet(col, pod))
	default: // deployment, also when the API server has not defaulted the mode (fake clients in tests)
		c.Deployments = append(c.Deployments, collectorDeployment(col, pod))
	}
	if pdb := collectorPodDisruptionBudget(col); pdb != nil {
		c.PodDisruptionBudgets = append(c.PodDisruptionBudgets, pdb)
	}
	if svc := collectorService(col, ports); svc != nil {
		c.Services = append(c.Services, svc)
	}
	c.Services = append(c.Services, monitoringService(col))

	if col.Spec.TargetAllocator.Enabled {
		if err := addTargetAllocator(c, col, opts); err != nil {
			return nil, err
		}
	}
	c.ServiceMonitors = serviceMonitors(col, opts)
	return c, nil
}

// objectMeta is the metadata of a namespaced child: labels and a controller owner reference to the collector.
func objectMeta(col *v1alpha1.OpenTelemetryCollector, component, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       col.Namespace,
		Labels:          Labels(col, component, name),
		OwnerReferences: []metav1.OwnerReference{*OwnerReference(col)},
	}
}

// OwnerReference is the controller reference every namespaced child carries, so deleting the collector deletes
// its children (through the garbage collector) and events on a child lead back to its collector.
func OwnerReference(col *v1alpha1.OpenTelemetryCollector) *metav1.OwnerReference {
	return metav1.NewControllerRef(col, v1alpha1.SchemeGroupVersion.WithKind("OpenTelemetryCollector"))
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func collectorImage(col *v1alpha1.OpenTelemetryCollector, opts Options) string {
	if col.Spec.Image != "" {
		return col.Spec.Image
	}
	return opts.CollectorImage
}
