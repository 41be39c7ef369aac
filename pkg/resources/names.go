package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Child names follow the reference operator ("<cr>-collector", ...) so that dashboards, policies and docs written
// for it keep working. A CR name is a DNS subdomain (up to 253 characters, dots allowed), while most children
// must be DNS-1035 labels (63 characters, no dots, a letter first), so a name that does not fit as is becomes
// "<cleaned prefix>-<hash>-<suffix>" within the limit, the way Kubernetes' own controllers name generated
// objects: the hash of the full CR name keeps two long names with a common prefix apart.

const (
	// maxServiceNameLength is a DNS-1035 label's limit: Services, and every name used as a label value.
	maxServiceNameLength = validation.DNS1035LabelMaxLength
	// maxStatefulSetNameLength leaves room for the "-<10 character hash>" the StatefulSet controller appends for
	// its pods' controller-revision-hash label (63 characters): a longer StatefulSet creates no pods.
	maxStatefulSetNameLength = 52
	// nameHashLength hex characters of sha256 (32 bits) tell truncated names apart.
	nameHashLength = 8
)

// CollectorName is the name of the collector ConfigMap, workload, Service and ServiceAccount.
func CollectorName(cr string) string { return childName(cr, "-collector", maxStatefulSetNameLength) }

// HeadlessServiceName is the governing Service of the collector StatefulSet.
func HeadlessServiceName(cr string) string {
	return childName(cr, "-collector-headless", maxServiceNameLength)
}

// MonitoringServiceName exposes the collector's own metrics port.
func MonitoringServiceName(cr string) string {
	return childName(cr, "-collector-monitoring", maxServiceNameLength)
}

// TargetAllocatorName is the name of the TA ConfigMap, Deployment, Service, ServiceAccount, Role and PDB.
func TargetAllocatorName(cr string) string {
	return childName(cr, "-targetallocator", maxServiceNameLength)
}

// ClusterTargetAllocatorName names the TA's cluster-scoped RBAC objects. Every collector in the cluster shares
// this name space, so the name always carries a hash of "<namespace>/<name>": "<namespace>-<name>" alone would give
// (team-a, x) and (team, a-x) the same object. The controller never derives the owner from this name (it reads the
// owner annotations), so a hash collision shows as a conflict, never as another tenant's object taken over.
func ClusterTargetAllocatorName(namespace, cr string) string {
	const suffix = "-targetallocator"
	h := nameHash(namespace + "/" + cr)
	prefix := truncate(clean(namespace+"-"+cr), maxServiceNameLength-len(suffix)-len(h)-1)
	return prefix + "-" + h + suffix
}

// childName is cr+suffix when that is a valid DNS-1035 label of at most limit characters, else the hashed form.
func childName(cr, suffix string, limit int) string {
	name := cr + suffix
	if len(name) <= limit && len(validation.IsDNS1035Label(name)) == 0 {
		return name
	}
	h := nameHash(cr)
	prefix := truncate(clean(cr), limit-len(suffix)-len(h)-1)
	return prefix + "-" + h + suffix
}

// clean turns a DNS subdomain into something that can start a DNS-1035 label: dots become dashes and a name that
// starts with a digit gets a letter in front.
func clean(s string) string {
	s = strings.ReplaceAll(s, ".", "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "x" + s
	}
	return s
}

// truncate cuts s to n characters and drops trailing dashes (the caller appends "-<hash>").
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-")
}

func nameHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:nameHashLength]
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
