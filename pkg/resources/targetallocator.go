package resources

import (
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
)

// Defaults of the CRD, repeated here because objects that never went through the API server (tests, fake clients)
// carry nil.
const (
	defaultGracePeriod    = 30 * time.Second
	defaultScrapeInterval = 30 * time.Second
)

// addTargetAllocator adds the TA's children: config, workload, Service, identity, RBAC and disruption budget.
func addTargetAllocator(c *Children, col *v1alpha1.OpenTelemetryCollector, opts Options) error {
	ta := col.Spec.TargetAllocator
	needs, err := clusterAccessNeeds(col)
	if err != nil {
		return err
	}
	config, err := configrewrite.TargetAllocatorConfig(col.Spec.Config, taOptions(col, opts))
	if err != nil {
		return fmt.Errorf("building the target allocator config: %w", err)
	}
	name := TargetAllocatorName(col.Name)
	c.ConfigMaps = append(c.ConfigMaps, &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, name),
		Data:       map[string]string{TargetAllocatorConfigKey: config},
	})
	c.Deployments = append(c.Deployments, taDeployment(col, opts, config))
	c.Services = append(c.Services, taService(col, opts))
	if ta.ServiceAccount == "" {
		c.ServiceAccounts = append(c.ServiceAccounts, serviceAccount(col, ComponentTargetAllocator, name))
	}
	c.PodDisruptionBudgets = append(c.PodDisruptionBudgets, taPodDisruptionBudget(col))
	addTargetAllocatorRBAC(c, col, opts, needs)
	return nil
}

// TargetAllocatorServiceAccountName is the account the TA pods run as.
func TargetAllocatorServiceAccountName(col *v1alpha1.OpenTelemetryCollector) string {
	if sa := col.Spec.TargetAllocator.ServiceAccount; sa != "" {
		return sa
	}
	return TargetAllocatorName(col.Name)
}

func taOptions(col *v1alpha1.OpenTelemetryCollector, opts Options) configrewrite.TAOptions {
	ta := col.Spec.TargetAllocator
	grace := defaultGracePeriod
	if ta.CollectorNotReadyGracePeriod != nil {
		grace = ta.CollectorNotReadyGracePeriod.Duration
	}
	interval := defaultScrapeInterval
	if ta.PrometheusCR.ScrapeInterval != nil {
		interval = ta.PrometheusCR.ScrapeInterval.Duration
	}
	strategy := string(ta.AllocationStrategy)
	if strategy == "" {
		strategy = string(v1alpha1.AllocationStrategyConsistentHashing)
	}
	p := ta.PrometheusCR
	if p.Enabled && restrictedToOwnNamespace(col, opts) {
		// The target allocator may read monitors (and the Secrets they reference) in its own namespace only, so
		// it watches only there. Namespace selectors then have nothing to choose from: evaluating them would need
		// cluster-wide namespace read, so they are left out (the TargetAllocatorAccess condition says so).
		if (len(p.AllowNamespaces) > 0 && !slices.Contains(p.AllowNamespaces, col.Namespace)) || slices.Contains(p.DenyNamespaces, col.Namespace) {
			// The CR wants only other namespaces: nothing is left that the target allocator may read.
			p.ServiceMonitorSelector, p.PodMonitorSelector, p.ProbeSelector, p.ScrapeConfigSelector = nil, nil, nil, nil
		}
		p.AllowNamespaces, p.DenyNamespaces = []string{col.Namespace}, nil
		p.ServiceMonitorNamespaceSelector, p.PodMonitorNamespaceSelector = nil, nil
		p.ProbeNamespaceSelector, p.ScrapeConfigNamespaceSelector = nil, nil
	}
	return configrewrite.TAOptions{
		// The TA must find exactly this collector's pods: the selector labels, without the per-object name.
		CollectorSelector:            SelectorLabels(col, ComponentCollector),
		AllocationStrategy:           strategy,
		AllocationFallbackStrategy:   string(ta.AllocationFallbackStrategy),
		FilterStrategy:               string(ta.FilterStrategy),
		CollectorNotReadyGracePeriod: grace,
		HTTPS:                        taHTTPS(col, opts),
		AllowInsecureAuthSecrets:     ta.AllowInsecureAuthSecrets,
		AllowFileAccess:              opts.AllowScrapeConfigFiles,
		PrometheusCR: configrewrite.PrometheusCROptions{
			Enabled:                         p.Enabled,
			ScrapeInterval:                  interval,
			ServiceMonitorSelector:          p.ServiceMonitorSelector,
			ServiceMonitorNamespaceSelector: p.ServiceMonitorNamespaceSelector,
			PodMonitorSelector:              p.PodMonitorSelector,
			PodMonitorNamespaceSelector:     p.PodMonitorNamespaceSelector,
			ProbeSelector:                   p.ProbeSelector,
			ProbeNamespaceSelector:          p.ProbeNamespaceSelector,
			ScrapeConfigSelector:            p.ScrapeConfigSelector,
			ScrapeConfigNamespaceSelector:   p.ScrapeConfigNamespaceSelector,
			AllowNamespaces:                 p.AllowNamespaces,
			DenyNamespaces:                  p.DenyNamespaces,
		},
	}
}

func taSelector(col *v1alpha1.OpenTelemetryCollector) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: SelectorLabels(col, ComponentTargetAllocator)}
}

func taDeployment(col *v1alpha1.OpenTelemetryCollector, opts Options, config string) *appsv1.Deployment {
	ta := col.Spec.TargetAllocator
	name := TargetAllocatorName(col.Name)
	image := ta.Image
	if image == "" {
		image = opts.TargetAllocatorImage
	}
	env := append([]corev1.EnvVar{{
		// The TA watches collector pods in its own namespace; the env var overrides the config file.
		Name:      "OTELCOL_NAMESPACE",
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}},
	}, {
		// The TA reports what it sees in Prometheus CRs as Events on this collector; the operator turns them into
		// the collector's status, which only the operator writes.
		Name:  TargetAllocatorCollectorNameEnv,
		Value: col.Name,
	}}, ta.Env...)
	ports := []corev1.ContainerPort{{Name: "http", ContainerPort: TargetAllocatorPort, Protocol: corev1.ProtocolTCP}}
	mounts := []corev1.VolumeMount{{Name: taVolumeName, MountPath: configMountPath}}
	volumes := []corev1.Volume{{
		Name: taVolumeName,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name},
			Items:                []corev1.KeyToPath{{Key: TargetAllocatorConfigKey, Path: TargetAllocatorConfigKey}},
		}},
	}}
	if mtlsEnabled(col, opts) {
		ports = append(ports, corev1.ContainerPort{Name: "https", ContainerPort: TargetAllocatorHTTPSPort, Protocol: corev1.ProtocolTCP})
		mounts = append(mounts, corev1.VolumeMount{Name: serverTLSVolumeName, MountPath: serverTLSMountPath, ReadOnly: true})
		volumes = append(volumes, secretVolume(serverTLSVolumeName, TargetAllocatorServerSecretName(col.Name)))
	}
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, name),
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas(ta.Replicas),
			Selector: taSelector(col),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      Labels(col, ComponentTargetAllocator, name),
					Annotations: map[string]string{ConfigHashAnnotation: hash(config)},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName: TargetAllocatorServiceAccountName(col),
					Containers: []corev1.Container{{
						Name:           TargetAllocatorContainerName,
						Image:          image,
						Args:           []string{"--config-file=" + configMountPath + "/" + TargetAllocatorConfigKey},
						Env:            env,
						Ports:          ports,
						Resources:      ta.Resources,
						LivenessProbe:  probe("/livez", intstr.FromString("http"), ta.LivenessProbe),
						ReadinessProbe: probe("/readyz", intstr.FromString("http"), ta.ReadinessProbe),
						VolumeMounts:   mounts,
						// The TA writes no file: a read-only root filesystem costs it nothing.
						SecurityContext: containerSecurityContext(ta.SecurityContext, true),
					}},
					Volumes:                   volumes,
					NodeSelector:              ta.NodeSelector,
					Tolerations:               ta.Tolerations,
					Affinity:                  ta.Affinity,
					TopologySpreadConstraints: taTopologySpread(col),
					SecurityContext:           podSecurityContext(ta.PodSecurityContext),
				},
			},
		},
	}
}

// taTopologySpread is the CR's spread of the TA pods or, when the TA has several replicas and the CR says nothing
// about their placement (no topologySpreadConstraints, no podAntiAffinity), a default one over nodes and zones:
// replicas that give the same answers are only worth having when one node or zone going away leaves others.
// ScheduleAnyway keeps a single-node or zoneless cluster scheduling every replica; pod-template-hash in
// matchLabelKeys counts each ReplicaSet apart, so a rolling update does not see the old pods as skew. A single
// replica gets nothing: there is nothing to spread.
func taTopologySpread(col *v1alpha1.OpenTelemetryCollector) []corev1.TopologySpreadConstraint {
	ta := col.Spec.TargetAllocator
	if len(ta.TopologySpreadConstraints) > 0 || (ta.Affinity != nil && ta.Affinity.PodAntiAffinity != nil) {
		return ta.TopologySpreadConstraints
	}
	if *replicas(ta.Replicas) <= 1 {
		return nil
	}
	constraints := make([]corev1.TopologySpreadConstraint, 0, len(taSpreadTopologyKeys))
	for _, key := range taSpreadTopologyKeys {
		constraints = append(constraints, corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       key,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     taSelector(col),
			MatchLabelKeys:    []string{appsv1.DefaultDeploymentUniqueLabelKey},
		})
	}
	return constraints
}

// taSpreadTopologyKeys are the well-known node labels the default spread of a multi-replica TA uses.
var taSpreadTopologyKeys = []string{corev1.LabelHostname, corev1.LabelTopologyZone}

func taService(col *v1alpha1.OpenTelemetryCollector, opts Options) *corev1.Service {
	ports := []corev1.ServicePort{{
		Name: "targetallocation", Port: TargetAllocatorServicePort, Protocol: corev1.ProtocolTCP,
		TargetPort: intstr.FromString("http"),
	}}
	if mtlsEnabled(col, opts) {
		ports = append(ports, corev1.ServicePort{
			Name: "targetallocation-https", Port: TargetAllocatorHTTPSServicePort, Protocol: corev1.ProtocolTCP,
			TargetPort: intstr.FromString("https"),
		})
	}
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, TargetAllocatorName(col.Name)),
		Spec: corev1.ServiceSpec{
			Selector: SelectorLabels(col, ComponentTargetAllocator),
			Ports:    ports,
		},
	}
}

// taPodDisruptionBudget is the CR's budget for the TA pods; by default a drain takes one TA pod at a time, so a
// multi-replica TA keeps serving, and a single replica (maxUnavailable 1) never holds a drain up.
//
// With several replicas the budget also lets a drain evict TA pods that are not ready (AlwaysAllow): under the
// API's default (IfHealthyBudget) two crash-looping replicas of three would leave the budget unmet and block
// every drain of their nodes until they recover, yet a pod that is not ready serves no collector, so evicting it
// costs nothing. A single replica is left at the default, which with maxUnavailable 1 already evicts it, ready or
// not.
func taPodDisruptionBudget(col *v1alpha1.OpenTelemetryCollector) *policyv1.PodDisruptionBudget {
	ta := col.Spec.TargetAllocator
	spec := pdbSpec(ta.PodDisruptionBudget, taSelector(col))
	if *replicas(ta.Replicas) > 1 {
		spec.UnhealthyPodEvictionPolicy = ptr.To(policyv1.AlwaysAllow)
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: objectMeta(col, ComponentTargetAllocator, TargetAllocatorName(col.Name)),
		Spec:       spec,
	}
}

func ptrIntOrString(v intstr.IntOrString) *intstr.IntOrString { return &v }
