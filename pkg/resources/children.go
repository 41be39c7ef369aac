package resources

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Children are the objects one collector should own, grouped by kind so the controller can diff each kind against
// its own lister. A kind's slice holds every object of that kind that should exist: anything else labelled as this
// collector's child is no longer desired.
type Children struct {
	ConfigMaps []*corev1.ConfigMap
	// Secrets are the mTLS certificates, built only when Options.TargetAllocatorCertificates is set.
	Secrets         []*corev1.Secret
	Services        []*corev1.Service
	ServiceAccounts []*corev1.ServiceAccount
	Deployments     []*appsv1.Deployment
	StatefulSets    []*appsv1.StatefulSet
	DaemonSets      []*appsv1.DaemonSet
	// Roles stays empty: the TA's grants are RoleBindings to fixed ClusterRoles. The kind is kept so Roles that
	// earlier versions created are deleted.
	Roles                []*rbacv1.Role
	RoleBindings         []*rbacv1.RoleBinding
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// ServiceMonitors of observability.metrics.enableMetrics, built only when Options.ServiceMonitorsServed.
	ServiceMonitors []*monitoringv1.ServiceMonitor

	// Cluster-scoped: a namespaced collector cannot own them, so they carry no owner reference; the controller
	// finds them by the instance label and deletes them when the collector goes.
	// ClusterRoles stays empty for the same reason (earlier versions made one per TA, with cluster-wide Secret read).
	ClusterRoles        []*rbacv1.ClusterRole
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding

	// Facts the controller reports in the status.
	CollectorImage         string
	ScaleSelector          string
	CollectorIDPlaceholder string
	// TargetAllocatorAccess is set when the target allocator is enabled.
	TargetAllocatorAccess TargetAllocatorAccess
}
