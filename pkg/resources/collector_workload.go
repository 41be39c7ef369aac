package resources

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// collectorPodTemplate is shared by the three workload kinds.
func collectorPodTemplate(col *v1alpha1.OpenTelemetryCollector, opts Options, config string, ports []corev1.ServicePort) corev1.PodTemplateSpec {
	args := []string{"--config=" + configMountPath + "/" + CollectorConfigKey}
	for _, k := range slices.Sorted(maps.Keys(col.Spec.Args)) {
		args = append(args, "--"+k+"="+col.Spec.Args[k])
	}
	env := []corev1.EnvVar{{
		// The collector id the TA hands targets to is the pod name; the rewritten config refers to it.
		Name:      "POD_NAME",
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
	}}
	env = append(env, col.Spec.Env...)

	containerPorts := []corev1.ContainerPort{{Name: "metrics", ContainerPort: MetricsPort, Protocol: corev1.ProtocolTCP}}
	for _, p := range ports {
		if p.Port == MetricsPort {
			continue
		}
		containerPorts = append(containerPorts, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol})
	}

	own := map[string]string{ConfigHashAnnotation: hash(config)}
	if mtlsEnabled(col, opts) {
		own[TrustAnchorAnnotation] = trustAnchor(*opts.TargetAllocatorCertificates)
	}
	annotations := mergeMaps(col.Spec.PodAnnotations, own)
	sa := col.Spec.ServiceAccount
	if sa == "" {
		sa = CollectorName(col.Name)
	}
	mounts := []corev1.VolumeMount{{Name: configVolumeName, MountPath: configMountPath}}
	volumes := []corev1.Volume{{
		Name: configVolumeName,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: CollectorName(col.Name)},
			Items:                []corev1.KeyToPath{{Key: CollectorConfigKey, Path: CollectorConfigKey}},
		}},
	}}
	if mtlsEnabled(col, opts) {
		mounts = append(mounts, corev1.VolumeMount{Name: clientTLSVolumeName, MountPath: clientTLSMountPath, ReadOnly: true})
		volumes = append(volumes, secretVolume(clientTLSVolumeName, TargetAllocatorClientSecretName(col.Name)))
	}
	mounts = append(mounts, col.Spec.VolumeMounts...)
	volumes = append(volumes, col.Spec.Volumes...)

	var liveness, readiness *corev1.Probe
	if hc, ok := healthCheckEndpoint(config); ok {
		liveness = probe(hc.path, intstr.FromInt32(hc.port), col.Spec.LivenessProbe)
		readiness = probe(hc.path, intstr.FromInt32(hc.port), col.Spec.ReadinessProbe)
	}

	containers := []corev1.Container{{
		Name:            CollectorContainerName,
		Image:           collectorImage(col, opts),
		ImagePullPolicy: col.Spec.ImagePullPolicy,
		Args:            args,
		Env:             env,
		EnvFrom:         col.Spec.EnvFrom,
		Ports:           containerPorts,
		Resources:       col.Spec.Resources,
		VolumeMounts:    mounts,
		LivenessProbe:   liveness,
		ReadinessProbe:  readiness,
		Lifecycle:       col.Spec.Lifecycle,
		SecurityContext: containerSecurityContext(col.Spec.SecurityContext, false),
	}}
	containers = append(containers, col.Spec.AdditionalContainers...)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      Labels(col, ComponentCollector, CollectorName(col.Name)),
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			ServiceAccountName:            sa,
			InitContainers:                col.Spec.InitContainers,
			Containers:                    containers,
			Volumes:                       volumes,
			NodeSelector:                  col.Spec.NodeSelector,
			Tolerations:                   col.Spec.Tolerations,
			Affinity:                      col.Spec.Affinity,
			TopologySpreadConstraints:     col.Spec.TopologySpreadConstraints,
			PriorityClassName:             col.Spec.PriorityClassName,
			TerminationGracePeriodSeconds: col.Spec.TerminationGracePeriodSeconds,
			HostNetwork:                   col.Spec.HostNetwork,
			DNSPolicy:                     col.Spec.DNSPolicy,
			SecurityContext:               podSecurityContext(col.Spec.PodSecurityContext),
		},
	}
}

// probe is an HTTP GET probe on path and port with the CR's timings.
func probe(path string, port intstr.IntOrString, s *v1alpha1.ProbeSettings) *corev1.Probe {
	p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port}}}
	if s != nil {
		p.InitialDelaySeconds = deref(s.InitialDelaySeconds)
		p.TimeoutSeconds = deref(s.TimeoutSeconds)
		p.PeriodSeconds = deref(s.PeriodSeconds)
		p.SuccessThreshold = deref(s.SuccessThreshold)
		p.FailureThreshold = deref(s.FailureThreshold)
		p.TerminationGracePeriodSeconds = s.TerminationGracePeriodSeconds
	}
	return p
}

func deref(v *int32) int32 {
	if v == nil {
		return 0 // the API server's default applies
	}
	return *v
}

func secretVolume(name, secret string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}}
}

func replicas(r *int32) *int32 {
	if r == nil {
		return ptr.To[int32](1)
	}
	return ptr.To(*r)
}

func collectorSelector(col *v1alpha1.OpenTelemetryCollector) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: SelectorLabels(col, ComponentCollector)}
}

func collectorDeployment(col *v1alpha1.OpenTelemetryCollector, pod corev1.PodTemplateSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas(col.Spec.Replicas),
			Selector: collectorSelector(col),
			Template: pod,
			Strategy: col.Spec.DeploymentUpdateStrategy,
		},
	}
}

func collectorStatefulSet(col *v1alpha1.OpenTelemetryCollector, pod corev1.PodTemplateSpec) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Spec: appsv1.StatefulSetSpec{
			Replicas:    replicas(col.Spec.Replicas),
			Selector:    collectorSelector(col),
			Template:    pod,
			ServiceName: HeadlessServiceName(col.Name),
			// Collectors have no ordering needs; Parallel starts and stops them all at once.
			PodManagementPolicy: appsv1.ParallelPodManagement,
		},
	}
}

func collectorDaemonSet(col *v1alpha1.OpenTelemetryCollector, pod corev1.PodTemplateSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		TypeMeta:   typeMeta("apps/v1", "DaemonSet"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Spec: appsv1.DaemonSetSpec{
			Selector:       collectorSelector(col),
			Template:       pod,
			UpdateStrategy: col.Spec.UpdateStrategy,
		},
	}
}

// collectorPodDisruptionBudget is the CR's budget for the collector pods, nil when it asks for none. A budget
// with neither bound set means maxUnavailable 1.
func collectorPodDisruptionBudget(col *v1alpha1.OpenTelemetryCollector) *policyv1.PodDisruptionBudget {
	if col.Spec.PodDisruptionBudget == nil || col.Spec.Mode == v1alpha1.ModeDaemonSet {
		return nil
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Spec:       pdbSpec(col.Spec.PodDisruptionBudget, collectorSelector(col)),
	}
}

func pdbSpec(s *v1alpha1.PodDisruptionBudgetSpec, selector *metav1.LabelSelector) policyv1.PodDisruptionBudgetSpec {
	spec := policyv1.PodDisruptionBudgetSpec{Selector: selector}
	if s != nil {
		spec.MinAvailable, spec.MaxUnavailable = s.MinAvailable, s.MaxUnavailable
	}
	if spec.MinAvailable == nil && spec.MaxUnavailable == nil {
		spec.MaxUnavailable = ptrIntOrString(intstr.FromInt32(1))
	}
	return spec
}
