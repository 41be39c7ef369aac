package controller

import (
	"k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	policyinformers "k8s.io/client-go/informers/policy/v1"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/client-go/tools/cache"

	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	otelv1alpha1informers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// ManagedBySelector is the label selector the child informers should be filtered with: the operator caches only
// the objects it manages, not every ConfigMap and Service of the cluster.
const ManagedBySelector = resources.LabelManagedBy + "=" + resources.ManagedByValue

// NamespaceInformers are the informers of one watched namespace ("" for all namespaces). Main builds them from its
// factories; the child informers should come from a factory filtered with ManagedBySelector.
type NamespaceInformers struct {
	Namespace  string
	Collectors otelv1alpha1informers.OpenTelemetryCollectorInformer
	ConfigMaps coreinformers.ConfigMapInformer
	// Secrets are the mTLS certificates the operator issues (only its own: the factory's label filter).
	Secrets              coreinformers.SecretInformer
	Services             coreinformers.ServiceInformer
	ServiceAccounts      coreinformers.ServiceAccountInformer
	Deployments          appsinformers.DeploymentInformer
	StatefulSets         appsinformers.StatefulSetInformer
	DaemonSets           appsinformers.DaemonSetInformer
	Roles                rbacinformers.RoleInformer
	RoleBindings         rbacinformers.RoleBindingInformer
	PodDisruptionBudgets policyinformers.PodDisruptionBudgetInformer
	// TargetAllocatorEvents are the target allocator's Events on collectors, from a factory built with
	// TargetAllocatorEventsOption (TargetAllocatorEventsFrom); they become the PrometheusCRDiscovery condition.
	// Optional: without it the condition is Unknown until set otherwise.
	TargetAllocatorEvents coreinformers.EventInformer
}

// ClusterInformers watch the cluster-scoped children (the TA's ClusterRole and binding).
type ClusterInformers struct {
	ClusterRoles        rbacinformers.ClusterRoleInformer
	ClusterRoleBindings rbacinformers.ClusterRoleBindingInformer
}

// NamespaceInformersFrom picks the informers of one namespace out of its two factories. Calling it registers the
// informers with the factories, so call it before starting them.
func NamespaceInformersFrom(namespace string, otel otelinformers.SharedInformerFactory, children informers.SharedInformerFactory) NamespaceInformers {
	return NamespaceInformers{
		Namespace:            namespace,
		Collectors:           otel.Opentelemetry().V1alpha1().OpenTelemetryCollectors(),
		ConfigMaps:           children.Core().V1().ConfigMaps(),
		Secrets:              children.Core().V1().Secrets(),
		Services:             children.Core().V1().Services(),
		ServiceAccounts:      children.Core().V1().ServiceAccounts(),
		Deployments:          children.Apps().V1().Deployments(),
		StatefulSets:         children.Apps().V1().StatefulSets(),
		DaemonSets:           children.Apps().V1().DaemonSets(),
		Roles:                children.Rbac().V1().Roles(),
		RoleBindings:         children.Rbac().V1().RoleBindings(),
		PodDisruptionBudgets: children.Policy().V1().PodDisruptionBudgets(),
	}
}

// ClusterInformersFrom picks the cluster-scoped informers out of a cluster-wide factory filtered with
// ManagedBySelector.
func ClusterInformersFrom(children informers.SharedInformerFactory) ClusterInformers {
	return ClusterInformers{
		ClusterRoles:        children.Rbac().V1().ClusterRoles(),
		ClusterRoleBindings: children.Rbac().V1().ClusterRoleBindings(),
	}
}

func (n NamespaceInformers) informers() []cache.SharedIndexInformer {
	return []cache.SharedIndexInformer{
		n.ConfigMaps.Informer(), n.Secrets.Informer(), n.Services.Informer(), n.ServiceAccounts.Informer(), n.Deployments.Informer(),
		n.StatefulSets.Informer(), n.DaemonSets.Informer(), n.Roles.Informer(), n.RoleBindings.Informer(),
		n.PodDisruptionBudgets.Informer(),
	}
}

func (c ClusterInformers) informers() []cache.SharedIndexInformer {
	return []cache.SharedIndexInformer{c.ClusterRoles.Informer(), c.ClusterRoleBindings.Informer()}
}
