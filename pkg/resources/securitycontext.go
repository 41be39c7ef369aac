package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The generated pods pass the restricted Pod Security Standard unless the CR says otherwise: a namespace that
// enforces it must accept them, and a collector or target allocator that is compromised through its input (both
// parse configuration a tenant writes) should hold as little as a container can. Only fields the CR leaves unset
// are filled in, so a CR can still relax one setting (a collector reading host logs as root) without restating the
// rest.

// podSecurityContext returns the CR's pod security context with the restricted defaults in its unset fields.
func podSecurityContext(fromCR *corev1.PodSecurityContext) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{}
	if fromCR != nil {
		sc = fromCR.DeepCopy()
	}
	if sc.RunAsNonRoot == nil {
		sc.RunAsNonRoot = ptr.To(true)
	}
	if sc.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	return sc
}

// containerSecurityContext returns the CR's container security context with the restricted defaults in its unset
// fields; readOnlyRoot also makes the root filesystem read-only unless the CR decides.
func containerSecurityContext(fromCR *corev1.SecurityContext, readOnlyRoot bool) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{}
	if fromCR != nil {
		sc = fromCR.DeepCopy()
	}
	if sc.AllowPrivilegeEscalation == nil {
		sc.AllowPrivilegeEscalation = ptr.To(false)
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
	}
	if readOnlyRoot && sc.ReadOnlyRootFilesystem == nil {
		sc.ReadOnlyRootFilesystem = ptr.To(true)
	}
	return sc
}
