package resources

import "fmt"

// Child names follow the reference operator so that dashboards, policies and docs written for it keep working.

// CollectorName is the name of the collector ConfigMap, workload, Service and ServiceAccount.
func CollectorName(cr string) string { return cr + "-collector" }

// HeadlessServiceName is the governing Service of the collector StatefulSet.
func HeadlessServiceName(cr string) string { return cr + "-collector-headless" }

// MonitoringServiceName exposes the collector's own metrics port.
func MonitoringServiceName(cr string) string { return cr + "-collector-monitoring" }

// TargetAllocatorName is the name of the TA ConfigMap, Deployment, Service, ServiceAccount, Role and PDB.
func TargetAllocatorName(cr string) string { return cr + "-targetallocator" }

// ClusterTargetAllocatorName names the TA's cluster-scoped RBAC objects; the namespace keeps two collectors of the
// same name in different namespaces apart.
func ClusterTargetAllocatorName(namespace, cr string) string {
	return fmt.Sprintf("%s-%s-targetallocator", namespace, cr)
}

const (
	// CollectorConfigKey is the key of the collector config in its ConfigMap.
	CollectorConfigKey = "collector.yaml"
	// TargetAllocatorConfigKey is the key of the TA config in its ConfigMap.
	TargetAllocatorConfigKey = "targetallocator.yaml"

	// CollectorContainerName and TargetAllocatorContainerName are the reference's container names.
	CollectorContainerName       = "otc-container"
	TargetAllocatorContainerName = "ta-container"

	// TargetAllocatorCollectorNameEnv tells the TA the name of its OpenTelemetryCollector, the object it reports
	// Events on (the namespace is OTELCOL_NAMESPACE).
	TargetAllocatorCollectorNameEnv = "OTELCOL_COLLECTOR_NAME"

	// MetricsPort is the collector's own telemetry port, served by the monitoring Service.
	MetricsPort = 8888
	// TargetAllocatorPort is the TA's HTTP port (container); the Service exposes it on 80.
	TargetAllocatorPort        = 8080
	TargetAllocatorServicePort = 80

	// ConfigHashAnnotation on a pod template holds the sha256 of the config it mounts, so a config change rolls
	// the pods.
	ConfigHashAnnotation = "opentelemetry-operator-config/sha256"

	configVolumeName = "otc-internal"
	taVolumeName     = "ta-internal"
	configMountPath  = "/conf"
)
