package resources

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

	annotations := mergeMaps(col.Spec.PodAnnotations, map[string]string{ConfigHashAnnotation: hash(config)})
	sa := col.Spec.ServiceAccount
	if sa == "" {
		sa = CollectorName(col.Name)
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      Labels(col, ComponentCollector, CollectorName(col.Name)),
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers: []corev1.Container{{
				Name:            CollectorContainerName,
				Image:           collectorImage(col, opts),
				ImagePullPolicy: col.Spec.ImagePullPolicy,
				Args:            args,
				Env:             env,
				Ports:           containerPorts,
				Resources:       col.Spec.Resources,
				VolumeMounts:    []corev1.VolumeMount{{Name: configVolumeName, MountPath: configMountPath}},
			}},
			Volumes: []corev1.Volume{{
				Name: configVolumeName,
				VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: CollectorName(col.Name)},
					Items:                []corev1.KeyToPath{{Key: CollectorConfigKey, Path: CollectorConfigKey}},
				}},
			}},
			NodeSelector: col.Spec.NodeSelector,
			Tolerations:  col.Spec.Tolerations,
			Affinity:     col.Spec.Affinity,
		},
	}
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
			Selector: collectorSelector(col),
			Template: pod,
		},
	}
}
