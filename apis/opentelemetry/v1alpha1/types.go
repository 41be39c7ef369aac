package v1alpha1

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Mode is the kind of workload that runs the collector.
// +kubebuilder:validation:Enum=deployment;daemonset;statefulset
type Mode string

const (
	ModeDeployment  Mode = "deployment"
	ModeDaemonSet   Mode = "daemonset"
	ModeStatefulSet Mode = "statefulset"
)

// AllocationStrategy names how the Target Allocator spreads targets over collectors.
// +kubebuilder:validation:Enum=consistent-hashing;least-weighted;per-node
type AllocationStrategy string

const (
	AllocationStrategyConsistentHashing AllocationStrategy = "consistent-hashing"
	AllocationStrategyLeastWeighted     AllocationStrategy = "least-weighted"
	AllocationStrategyPerNode           AllocationStrategy = "per-node"
)

// FallbackStrategy is the strategy per-node uses for targets that carry no node; empty means such targets stay
// unassigned (and are counted).
// +kubebuilder:validation:Enum="";consistent-hashing;least-weighted
type FallbackStrategy string

// FilterStrategy names how the Target Allocator filters discovered targets before allocating them.
// +kubebuilder:validation:Enum="";relabel-config
type FilterStrategy string

const (
	// FilterStrategyRelabelConfig drops the targets that the job's relabel_configs would drop.
	FilterStrategyRelabelConfig FilterStrategy = "relabel-config"
)

// OpenTelemetryCollector is an OpenTelemetry Collector and, optionally, the Target Allocator that spreads its
// Prometheus receiver's scrape targets over the collector pods.
//
// +genclient
// +genclient:method=GetScale,verb=get,subresource=scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateScale,verb=update,subresource=scale,input=k8s.io/api/autoscaling/v1.Scale,result=k8s.io/api/autoscaling/v1.Scale
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=otelcol;otelcols,categories=opentelemetry
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.scale.selector
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="TA",type=boolean,JSONPath=`.spec.targetAllocator.enabled`
// +kubebuilder:printcolumn:name="Reconciled",type=string,JSONPath=`.status.conditions[?(@.type=="Reconciled")].status`
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=`.status.conditions[?(@.type=="Available")].status`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.image`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type OpenTelemetryCollector struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   OpenTelemetryCollectorSpec   `json:"spec"`
	Status OpenTelemetryCollectorStatus `json:"status,omitempty"`
}

// OpenTelemetryCollectorSpec is the desired state of a collector.
//
// +kubebuilder:validation:XValidation:rule="!has(self.targetAllocator) || !has(self.targetAllocator.enabled) || !self.targetAllocator.enabled || self.mode in ['statefulset', 'daemonset']",message="targetAllocator.enabled needs mode statefulset or daemonset: set spec.mode to statefulset (or daemonset with allocationStrategy per-node), or disable the target allocator"
// +kubebuilder:validation:XValidation:rule="!has(self.targetAllocator) || !has(self.targetAllocator.enabled) || !self.targetAllocator.enabled || self.mode != 'daemonset' || self.targetAllocator.allocationStrategy == 'per-node'",message="mode daemonset with a target allocator needs targetAllocator.allocationStrategy per-node: each collector scrapes the targets of its own node"
// +kubebuilder:validation:XValidation:rule="!has(self.targetAllocator) || !has(self.targetAllocator.enabled) || !self.targetAllocator.enabled || self.targetAllocator.allocationStrategy != 'per-node' || self.mode == 'daemonset'",message="targetAllocator.allocationStrategy per-node needs mode daemonset: set spec.mode to daemonset or choose consistent-hashing"
// +kubebuilder:validation:XValidation:rule="!has(self.podDisruptionBudget) || self.mode != 'daemonset'",message="podDisruptionBudget is not for mode daemonset: node drains do not evict DaemonSet pods; remove it or use mode deployment or statefulset"
type OpenTelemetryCollectorSpec struct {
	// Mode is the workload kind that runs the collector.
	// +kubebuilder:default=deployment
	// +optional
	Mode Mode `json:"mode,omitempty"`

	// Replicas is the number of collector pods (ignored for mode daemonset).
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Image is the collector image; empty means the operator's default.
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy of the collector container.
	// +kubebuilder:validation:Enum=Always;Never;IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// Config is the collector's configuration as YAML text. With the target allocator enabled, the operator
	// rewrites its prometheus receivers to fetch their targets from the target allocator. At most 1 MiB, what
	// the ConfigMap it is written to can hold; YAML aliases may not expand it beyond that either.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1048576
	// +required
	Config string `json:"config"`

	// Args are extra command-line arguments of the collector, as name: value (rendered --name=value).
	// +optional
	Args map[string]string `json:"args,omitempty"`

	// Env adds environment variables to the collector container.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// Resources of the collector container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector of the collector pods.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the collector pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the collector pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// ServiceAccount the collector pods run as; empty means the operator creates <name>-collector.
	// +optional
	ServiceAccount string `json:"serviceAccount,omitempty"`

	// PodSecurityContext of the collector pods. Fields left unset get the values the restricted Pod Security
	// Standard asks for: runAsNonRoot true and the RuntimeDefault seccomp profile. Set a field explicitly (for
	// example runAsNonRoot: false for a collector that must read host files as root) to override it.
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// SecurityContext of the collector container. Fields left unset get the restricted Pod Security Standard's
	// values: allowPrivilegeEscalation false and capabilities dropping ALL. An explicit capabilities block
	// replaces the default as a whole.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`

	// PodAnnotations are added to the collector pods.
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// Ports are added to the collector Service next to the ports found in the receivers' configuration.
	// +optional
	Ports []corev1.ServicePort `json:"ports,omitempty"`

	// Volumes are added to the collector pods beside the operator's config volume. Mount them with volumeMounts
	// (collector container), or in initContainers and additionalContainers. The name "otc-internal" is the
	// operator's own.
	// +listType=map
	// +listMapKey=name
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`

	// VolumeMounts are added to the collector container beside the config mount (/conf).
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`

	// EnvFrom adds environment variables to the collector container from ConfigMaps or Secrets of the collector's
	// namespace; a key also set in env loses to env.
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// PriorityClassName of the collector pods; empty means the cluster's default priority.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// TopologySpreadConstraints of the collector pods, for example to spread a statefulset over zones. Write their
	// labelSelector against the collector pod labels (app.kubernetes.io/instance: <namespace>.<name>,
	// app.kubernetes.io/component: opentelemetry-collector).
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// InitContainers run to completion before the collector starts, in this order.
	// +optional
	InitContainers []corev1.Container `json:"initContainers,omitempty"`

	// AdditionalContainers run beside the collector container in each collector pod (sidecars). The name
	// otc-container is the collector's own.
	// +optional
	AdditionalContainers []corev1.Container `json:"additionalContainers,omitempty"`

	// Lifecycle hooks of the collector container, for example a preStop sleep so load balancers stop sending
	// before the collector shuts down.
	// +optional
	Lifecycle *corev1.Lifecycle `json:"lifecycle,omitempty"`

	// TerminationGracePeriodSeconds is how long a collector pod may take to stop (flushing its queues) after
	// SIGTERM before it is killed; nil means Kubernetes' default (30).
	// +kubebuilder:validation:Minimum=0
	// +optional
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// HostNetwork runs the collector pods in the node's network namespace (their ports are opened on the node).
	// With it, dnsPolicy should be ClusterFirstWithHostNet for cluster names to resolve.
	// +optional
	HostNetwork bool `json:"hostNetwork,omitempty"`

	// DNSPolicy of the collector pods; empty means ClusterFirst.
	// +kubebuilder:validation:Enum=ClusterFirstWithHostNet;ClusterFirst;Default;None
	// +optional
	DNSPolicy corev1.DNSPolicy `json:"dnsPolicy,omitempty"`

	// DeploymentUpdateStrategy replaces the collector Deployment's pods (mode deployment); empty means
	// RollingUpdate with 25% surge and 25% unavailable.
	// +optional
	DeploymentUpdateStrategy appsv1.DeploymentStrategy `json:"deploymentUpdateStrategy,omitempty"`

	// UpdateStrategy replaces the collector DaemonSet's pods (mode daemonset); empty means RollingUpdate with one
	// node at a time.
	// +optional
	UpdateStrategy appsv1.DaemonSetUpdateStrategy `json:"updateStrategy,omitempty"`

	// PodDisruptionBudget, when set, makes the operator create a PodDisruptionBudget <name>-collector that limits
	// voluntary disruptions (node drains) of the collector pods. Not for mode daemonset (drains do not evict
	// DaemonSet pods).
	// +optional
	PodDisruptionBudget *PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`

	// LivenessProbe tunes the liveness probe the operator derives from the health_check extension of the config
	// (an HTTP GET on its endpoint's port and path). Without health_check in service.extensions the collector has
	// no probes and this is ignored.
	// +optional
	LivenessProbe *ProbeSettings `json:"livenessProbe,omitempty"`

	// ReadinessProbe tunes the readiness probe derived from the health_check extension, as livenessProbe.
	// +optional
	ReadinessProbe *ProbeSettings `json:"readinessProbe,omitempty"`

	// Observability of the collector's own telemetry.
	// +optional
	Observability ObservabilitySpec `json:"observability,omitempty"`

	// TargetAllocator configures the optional Target Allocator.
	// +optional
	TargetAllocator TargetAllocatorSpec `json:"targetAllocator,omitempty"`
}

// ObservabilitySpec configures how a component's own telemetry is collected.
type ObservabilitySpec struct {
	// Metrics of the component itself.
	// +optional
	Metrics ObservabilityMetricsSpec `json:"metrics,omitempty"`
}

// ObservabilityMetricsSpec configures the scraping of a component's own metrics.
type ObservabilityMetricsSpec struct {
	// EnableMetrics makes the operator create a ServiceMonitor for the component's metrics Service (the
	// collector's <name>-collector-monitoring, port monitoring, 8888; the target allocator's Service, port
	// targetallocation, /metrics) when the API server serves the Prometheus Operator's ServiceMonitor kind, and
	// nothing otherwise (checked through discovery, again every minute). The collector must expose its telemetry
	// on 0.0.0.0:8888 (service.telemetry.metrics) for the scrape to reach it.
	// +optional
	EnableMetrics bool `json:"enableMetrics,omitempty"`
}

// TargetAllocatorSpec configures the Target Allocator of a collector.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || self.allocationStrategy != 'least-weighted' || !has(self.replicas) || self.replicas <= 1",message="least-weighted depends on the order of events, so several target allocator replicas would disagree: use replicas 1 or allocationStrategy consistent-hashing"
// +kubebuilder:validation:XValidation:rule="!has(self.mtls) || !has(self.mtls.enabled) || !self.mtls.enabled || (has(self.prometheusCR) && has(self.prometheusCR.enabled) && self.prometheusCR.enabled)",message="mtls.enabled needs prometheusCR.enabled: credentials reach collectors only in the scrape configs the target allocator serves from Prometheus Operator resources"
type TargetAllocatorSpec struct {
	// Enabled deploys the target allocator and rewrites the collector's prometheus receivers to use it.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Replicas of the target allocator. All give the same answers (consistent-hashing and per-node are pure
	// functions of targets and collectors), so collectors may ask any; least-weighted depends on the order of
	// events and is refused above 1. Above 1 the operator spreads the pods over nodes and zones unless
	// topologySpreadConstraints or a podAntiAffinity is set, and lets drains evict unready pods.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Image of the target allocator; empty means the operator's default.
	// +optional
	Image string `json:"image,omitempty"`

	// AllocationStrategy spreads targets over collectors.
	// +kubebuilder:default=consistent-hashing
	// +optional
	AllocationStrategy AllocationStrategy `json:"allocationStrategy,omitempty"`

	// AllocationFallbackStrategy is used by per-node for targets that carry no node.
	// +optional
	AllocationFallbackStrategy FallbackStrategy `json:"allocationFallbackStrategy,omitempty"`

	// FilterStrategy decides which discovered targets are allocated; relabel-config drops the targets that the
	// job's relabel_configs drop, empty allocates every discovered target.
	// +kubebuilder:default=relabel-config
	// +optional
	FilterStrategy FilterStrategy `json:"filterStrategy,omitempty"`

	// ServiceAccount the target allocator runs as; empty means the operator creates <name>-targetallocator and
	// binds the roles the target allocator needs to it. The operator binds nothing to an account it did not
	// create: an account named here must be granted its rights by a namespace administrator (the
	// TargetAllocatorAccess condition lists the ClusterRoles to bind).
	// +optional
	ServiceAccount string `json:"serviceAccount,omitempty"`

	// PodSecurityContext of the target allocator pods. Fields left unset get the restricted Pod Security
	// Standard's values: runAsNonRoot true and the RuntimeDefault seccomp profile.
	// +optional
	PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext,omitempty"`

	// SecurityContext of the target allocator container. Fields left unset get the restricted Pod Security
	// Standard's values (allowPrivilegeEscalation false, capabilities dropping ALL) and a read-only root
	// filesystem. An explicit capabilities block replaces the default as a whole.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`

	// Resources of the target allocator container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector of the target allocator pods.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the target allocator pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the target allocator pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// Env adds environment variables to the target allocator container.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// CollectorNotReadyGracePeriod is how long a collector that turned not ready keeps its targets; 0 disables
	// the readiness check.
	// +kubebuilder:default="30s"
	// +optional
	CollectorNotReadyGracePeriod *metav1.Duration `json:"collectorNotReadyGracePeriod,omitempty"`

	// PrometheusCR makes the target allocator turn Prometheus Operator resources into scrape jobs.
	// +optional
	PrometheusCR PrometheusCRSpec `json:"prometheusCR,omitempty"`

	// TopologySpreadConstraints of the target allocator pods. Write their labelSelector against the TA pod labels
	// (app.kubernetes.io/instance: <namespace>.<name>, app.kubernetes.io/component: opentelemetry-targetallocator).
	// Empty with replicas above 1 and no podAntiAffinity: kubernetes.io/hostname and topology.kubernetes.io/zone,
	// maxSkew 1, ScheduleAnyway, matchLabelKeys pod-template-hash.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PodDisruptionBudget of the target allocator pods; nil means maxUnavailable 1, so a drain takes one TA pod at
	// a time. With replicas above 1 the budget gets unhealthyPodEvictionPolicy AlwaysAllow: pods that are not
	// ready serve nothing, and evicting them never waits for the others to recover.
	// +optional
	PodDisruptionBudget *PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`

	// LivenessProbe tunes the probe on the target allocator's /livez.
	// +optional
	LivenessProbe *ProbeSettings `json:"livenessProbe,omitempty"`

	// ReadinessProbe tunes the probe on the target allocator's /readyz.
	// +optional
	ReadinessProbe *ProbeSettings `json:"readinessProbe,omitempty"`

	// Observability of the target allocator's own metrics.
	// +optional
	Observability ObservabilitySpec `json:"observability,omitempty"`

	// MTLS has the operator issue the certificates of the target allocator's mTLS listener and of the collectors
	// that fetch their scrape configs over it, so credentials from Secrets reach the collectors.
	// +optional
	MTLS TargetAllocatorMTLSSpec `json:"mtls,omitempty"`

	// AllowInsecureAuthSecrets makes the target allocator serve credentials (basic auth passwords, bearer tokens
	// from Secrets) on its plain HTTP port too, where anyone who reaches the port reads them. Discouraged: use
	// mtls. The target allocator logs a warning at start when it is set.
	// +optional
	AllowInsecureAuthSecrets bool `json:"allowInsecureAuthSecrets,omitempty"`
}

// TargetAllocatorMTLSSpec turns on the mTLS between the target allocator and its collectors.
type TargetAllocatorMTLSSpec struct {
	// Enabled makes the operator keep a CA and short-lived server and client certificates for this collector in
	// Secrets it owns (<name>-ta-ca, never mounted; <name>-ta-server, mounted into the target allocator, which
	// then serves its mTLS listener on port 443 of its Service; <name>-ta-client, mounted into the collector
	// pods, whose target_allocator block then fetches scrape configs, credentials included, over that listener).
	// Certificates are renewed a third of their life before expiry without restarting pods (both sides re-read
	// their files); the collector pods are rolled only when a new CA joins the trust bundle. Needs
	// prometheusCR.enabled.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// PodDisruptionBudgetSpec limits voluntary disruptions of a set of pods; set one of minAvailable and
// maxUnavailable.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.minAvailable) && has(self.maxUnavailable))",message="set only one of minAvailable and maxUnavailable"
type PodDisruptionBudgetSpec struct {
	// MinAvailable pods (a number or a percentage such as "50%") that an eviction must leave running.
	// +optional
	MinAvailable *intstr.IntOrString `json:"minAvailable,omitempty"`

	// MaxUnavailable pods (a number or a percentage) an eviction may leave not running; when neither field is
	// set, 1.
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// ProbeSettings are the timings of a probe whose handler (path and port) the operator sets. Unset fields keep
// Kubernetes' defaults.
type ProbeSettings struct {
	// InitialDelaySeconds after the container started before the first probe.
	// +kubebuilder:validation:Minimum=0
	// +optional
	InitialDelaySeconds *int32 `json:"initialDelaySeconds,omitempty"`

	// TimeoutSeconds after which a probe counts as failed (default 1).
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// PeriodSeconds between probes (default 10).
	// +kubebuilder:validation:Minimum=1
	// +optional
	PeriodSeconds *int32 `json:"periodSeconds,omitempty"`

	// SuccessThreshold is how many consecutive successes count after a failure (default 1; liveness needs 1).
	// +kubebuilder:validation:Minimum=1
	// +optional
	SuccessThreshold *int32 `json:"successThreshold,omitempty"`

	// FailureThreshold is how many consecutive failures count as failed (default 3).
	// +kubebuilder:validation:Minimum=1
	// +optional
	FailureThreshold *int32 `json:"failureThreshold,omitempty"`

	// TerminationGracePeriodSeconds overrides the pod's grace period when this probe fails.
	// +kubebuilder:validation:Minimum=1
	// +optional
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// PrometheusCRSpec selects Prometheus Operator resources (ServiceMonitor, PodMonitor, Probe, ScrapeConfig).
// Selectors follow the Prometheus Operator: a nil resource selector selects nothing, an empty one ({}) selects
// everything; a nil namespace selector means every namespace.
//
// +kubebuilder:validation:XValidation:rule="!has(self.allowNamespaces) || !has(self.denyNamespaces) || size(self.allowNamespaces) == 0 || size(self.denyNamespaces) == 0",message="allowNamespaces and denyNamespaces exclude each other: set only one"
type PrometheusCRSpec struct {
	// Enabled turns on discovery of Prometheus Operator resources.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// ScrapeInterval is the default scrape interval of jobs made from resources that set none.
	// +kubebuilder:default="30s"
	// +optional
	ScrapeInterval *metav1.Duration `json:"scrapeInterval,omitempty"`

	// +optional
	ServiceMonitorSelector *metav1.LabelSelector `json:"serviceMonitorSelector,omitempty"`
	// +optional
	ServiceMonitorNamespaceSelector *metav1.LabelSelector `json:"serviceMonitorNamespaceSelector,omitempty"`
	// +optional
	PodMonitorSelector *metav1.LabelSelector `json:"podMonitorSelector,omitempty"`
	// +optional
	PodMonitorNamespaceSelector *metav1.LabelSelector `json:"podMonitorNamespaceSelector,omitempty"`
	// +optional
	ProbeSelector *metav1.LabelSelector `json:"probeSelector,omitempty"`
	// +optional
	ProbeNamespaceSelector *metav1.LabelSelector `json:"probeNamespaceSelector,omitempty"`
	// +optional
	ScrapeConfigSelector *metav1.LabelSelector `json:"scrapeConfigSelector,omitempty"`
	// +optional
	ScrapeConfigNamespaceSelector *metav1.LabelSelector `json:"scrapeConfigNamespaceSelector,omitempty"`

	// AllowNamespaces limits the resources to these namespaces.
	// +optional
	AllowNamespaces []string `json:"allowNamespaces,omitempty"`
	// DenyNamespaces excludes the resources of these namespaces.
	// +optional
	DenyNamespaces []string `json:"denyNamespaces,omitempty"`
}

// OpenTelemetryCollectorStatus is the observed state of a collector, written only by the operator.
type OpenTelemetryCollectorStatus struct {
	// Conditions: Reconciled tells whether the children match the spec, with the reason when they cannot;
	// Available whether the collector pods are ready as desired (and the target allocator available), what
	// `kubectl wait --for=condition=Available` waits for; PrometheusCRDiscovery (with prometheusCR enabled) reports what the target allocator found wrong with the
	// selected monitors, naming them.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Replicas is the number of collector pods the workload has.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReadyReplicas is the number of ready collector pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// Scale carries the label selector of the collector pods for the scale subresource (kubectl scale, HPA).
	// +optional
	Scale ScaleStatus `json:"scale,omitempty"`

	// Image is the collector image in use.
	// +optional
	Image string `json:"image,omitempty"`

	// CollectorIDPlaceholder is the form of the collector id written into the http_sd URLs (for example
	// $POD_NAME or ${env:POD_NAME}); current collectors expand only the ${env:...} form.
	// +optional
	CollectorIDPlaceholder string `json:"collectorIDPlaceholder,omitempty"`

	// TargetAllocator is the observed state of the target allocator.
	// +optional
	TargetAllocator *TargetAllocatorStatus `json:"targetAllocator,omitempty"`
}

// ScaleStatus is the status the scale subresource reads.
type ScaleStatus struct {
	// Selector is the label selector of the collector pods, in string form.
	// +optional
	Selector string `json:"selector,omitempty"`
}

// TargetAllocatorStatus is the observed state of the target allocator.
type TargetAllocatorStatus struct {
	// Replicas of the target allocator Deployment.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// ReadyReplicas of the target allocator Deployment.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
}

// OpenTelemetryCollectorList is a list of OpenTelemetryCollector.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type OpenTelemetryCollectorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []OpenTelemetryCollector `json:"items"`
}
