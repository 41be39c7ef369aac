package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// rewrites its prometheus receivers to fetch their targets from the target allocator.
	// +kubebuilder:validation:MinLength=1
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

	// PodAnnotations are added to the collector pods.
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// Ports are added to the collector Service next to the ports found in the receivers' configuration.
	// +optional
	Ports []corev1.ServicePort `json:"ports,omitempty"`

	// TargetAllocator configures the optional Target Allocator.
	// +optional
	TargetAllocator TargetAllocatorSpec `json:"targetAllocator,omitempty"`
}

// TargetAllocatorSpec configures the Target Allocator of a collector.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || self.allocationStrategy != 'least-weighted' || !has(self.replicas) || self.replicas <= 1",message="least-weighted depends on the order of events, so several target allocator replicas would disagree: use replicas 1 or allocationStrategy consistent-hashing"
type TargetAllocatorSpec struct {
	// Enabled deploys the target allocator and rewrites the collector's prometheus receivers to use it.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Replicas of the target allocator. consistent-hashing and per-node give identical answers on every replica.
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

	// ServiceAccount the target allocator runs as; empty means the operator creates <name>-targetallocator.
	// +optional
	ServiceAccount string `json:"serviceAccount,omitempty"`

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
	// Conditions: Ready tells whether the children match the spec, with the reason when they cannot;
	// PrometheusCRDiscovery (with prometheusCR enabled) reports what the target allocator found wrong with the
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
	// Targets is the number of targets the target allocator reported last.
	// +optional
	Targets int32 `json:"targets,omitempty"`
	// Collectors is the number of collectors the target allocator reported last.
	// +optional
	Collectors int32 `json:"collectors,omitempty"`
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
