package controller

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// childKinds lists every kind of child, in the order they are written: configuration and identity before the
// workloads that mount or run as them.
func childKinds() []reconciler {
	return []reconciler{
		&childKind[*corev1.ConfigMap]{
			kind:     "ConfigMap",
			kindRole: roleConfig,
			desired:  func(c *resources.Children) []*corev1.ConfigMap { return c.ConfigMaps },
			get: func(c *Controller, ns, name string) (*corev1.ConfigMap, error) {
				return c.scope(ns).ConfigMaps.Lister().ConfigMaps(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*corev1.ConfigMap, error) {
				return c.kube.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*corev1.ConfigMap, error) {
				return c.scope(ns).ConfigMaps.Lister().ConfigMaps(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *corev1.ConfigMap) error {
				_, err := c.kube.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *corev1.ConfigMap) error {
				_, err := c.kube.CoreV1().ConfigMaps(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.CoreV1().ConfigMaps(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*corev1.Secret]{
			kind:     "Secret",
			kindRole: roleConfig,
			desired:  func(c *resources.Children) []*corev1.Secret { return c.Secrets },
			// A leaf from a CA that could not be stored would be trusted by nobody after the next plan: the
			// leaves wait for the CA Secret (written first), and the workloads mounting them for the leaves.
			heldBy: func(s *corev1.Secret, r *result) bool {
				ref := metav1.GetControllerOfNoCopy(s)
				if ref == nil {
					return false
				}
				ca := resources.TargetAllocatorCASecretName(ref.Name)
				return s.Name != ca && r.failedConfig["Secret/"+ca]
			},
			get: func(c *Controller, ns, name string) (*corev1.Secret, error) {
				return c.scope(ns).Secrets.Lister().Secrets(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*corev1.Secret, error) {
				return c.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*corev1.Secret, error) {
				return c.scope(ns).Secrets.Lister().Secrets(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *corev1.Secret) error {
				_, err := c.kube.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *corev1.Secret) error {
				_, err := c.kube.CoreV1().Secrets(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.CoreV1().Secrets(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*corev1.ServiceAccount]{
			kind:    "ServiceAccount",
			desired: func(c *resources.Children) []*corev1.ServiceAccount { return c.ServiceAccounts },
			get: func(c *Controller, ns, name string) (*corev1.ServiceAccount, error) {
				return c.scope(ns).ServiceAccounts.Lister().ServiceAccounts(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*corev1.ServiceAccount, error) {
				return c.kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*corev1.ServiceAccount, error) {
				return c.scope(ns).ServiceAccounts.Lister().ServiceAccounts(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *corev1.ServiceAccount) error {
				_, err := c.kube.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *corev1.ServiceAccount) error {
				_, err := c.kube.CoreV1().ServiceAccounts(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.CoreV1().ServiceAccounts(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*rbacv1.Role]{
			kind:    "Role",
			desired: func(c *resources.Children) []*rbacv1.Role { return c.Roles },
			get: func(c *Controller, ns, name string) (*rbacv1.Role, error) {
				return c.scope(ns).Roles.Lister().Roles(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*rbacv1.Role, error) {
				return c.kube.RbacV1().Roles(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*rbacv1.Role, error) {
				return c.scope(ns).Roles.Lister().Roles(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *rbacv1.Role) error {
				_, err := c.kube.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *rbacv1.Role) error {
				_, err := c.kube.RbacV1().Roles(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.RbacV1().Roles(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*rbacv1.RoleBinding]{
			kind:    "RoleBinding",
			desired: func(c *resources.Children) []*rbacv1.RoleBinding { return c.RoleBindings },
			get: func(c *Controller, ns, name string) (*rbacv1.RoleBinding, error) {
				return c.scope(ns).RoleBindings.Lister().RoleBindings(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*rbacv1.RoleBinding, error) {
				return c.kube.RbacV1().RoleBindings(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*rbacv1.RoleBinding, error) {
				return c.scope(ns).RoleBindings.Lister().RoleBindings(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *rbacv1.RoleBinding) error {
				_, err := c.kube.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *rbacv1.RoleBinding) error {
				_, err := c.kube.RbacV1().RoleBindings(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.RbacV1().RoleBindings(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*rbacv1.ClusterRole]{
			kind:          "ClusterRole",
			clusterScoped: true,
			desired:       func(c *resources.Children) []*rbacv1.ClusterRole { return c.ClusterRoles },
			get: func(c *Controller, _, name string) (*rbacv1.ClusterRole, error) {
				return c.cluster.ClusterRoles.Lister().Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, _, name string) (*rbacv1.ClusterRole, error) {
				return c.kube.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, _ string, sel labels.Selector) ([]*rbacv1.ClusterRole, error) {
				return c.cluster.ClusterRoles.Lister().List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *rbacv1.ClusterRole) error {
				_, err := c.kube.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *rbacv1.ClusterRole) error {
				_, err := c.kube.RbacV1().ClusterRoles().Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, _, name string, opts metav1.DeleteOptions) error {
				return c.kube.RbacV1().ClusterRoles().Delete(ctx, name, opts)
			},
		},
		&childKind[*rbacv1.ClusterRoleBinding]{
			kind:          "ClusterRoleBinding",
			clusterScoped: true,
			desired:       func(c *resources.Children) []*rbacv1.ClusterRoleBinding { return c.ClusterRoleBindings },
			get: func(c *Controller, _, name string) (*rbacv1.ClusterRoleBinding, error) {
				return c.cluster.ClusterRoleBindings.Lister().Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, _, name string) (*rbacv1.ClusterRoleBinding, error) {
				return c.kube.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, _ string, sel labels.Selector) ([]*rbacv1.ClusterRoleBinding, error) {
				return c.cluster.ClusterRoleBindings.Lister().List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *rbacv1.ClusterRoleBinding) error {
				_, err := c.kube.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *rbacv1.ClusterRoleBinding) error {
				_, err := c.kube.RbacV1().ClusterRoleBindings().Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, _, name string, opts metav1.DeleteOptions) error {
				return c.kube.RbacV1().ClusterRoleBindings().Delete(ctx, name, opts)
			},
		},
		&childKind[*corev1.Service]{
			kind:    "Service",
			desired: func(c *resources.Children) []*corev1.Service { return c.Services },
			get: func(c *Controller, ns, name string) (*corev1.Service, error) {
				return c.scope(ns).Services.Lister().Services(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*corev1.Service, error) {
				return c.kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*corev1.Service, error) {
				return c.scope(ns).Services.Lister().Services(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *corev1.Service) error {
				_, err := c.kube.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *corev1.Service) error {
				_, err := c.kube.CoreV1().Services(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.CoreV1().Services(ns).Delete(ctx, name, opts)
			},
			preserve: preserveServiceAllocations,
		},
		&childKind[*appsv1.Deployment]{
			kind:     "Deployment",
			kindRole: roleWorkload,
			desired:  func(c *resources.Children) []*appsv1.Deployment { return c.Deployments },
			podSpec:  func(o *appsv1.Deployment) *corev1.PodSpec { return &o.Spec.Template.Spec },
			get: func(c *Controller, ns, name string) (*appsv1.Deployment, error) {
				return c.scope(ns).Deployments.Lister().Deployments(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*appsv1.Deployment, error) {
				return c.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*appsv1.Deployment, error) {
				return c.scope(ns).Deployments.Lister().Deployments(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *appsv1.Deployment) error {
				_, err := c.kube.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *appsv1.Deployment) error {
				_, err := c.kube.AppsV1().Deployments(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.AppsV1().Deployments(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*appsv1.StatefulSet]{
			kind:     "StatefulSet",
			kindRole: roleWorkload,
			desired:  func(c *resources.Children) []*appsv1.StatefulSet { return c.StatefulSets },
			podSpec:  func(o *appsv1.StatefulSet) *corev1.PodSpec { return &o.Spec.Template.Spec },
			get: func(c *Controller, ns, name string) (*appsv1.StatefulSet, error) {
				return c.scope(ns).StatefulSets.Lister().StatefulSets(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*appsv1.StatefulSet, error) {
				return c.kube.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*appsv1.StatefulSet, error) {
				return c.scope(ns).StatefulSets.Lister().StatefulSets(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *appsv1.StatefulSet) error {
				_, err := c.kube.AppsV1().StatefulSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *appsv1.StatefulSet) error {
				_, err := c.kube.AppsV1().StatefulSets(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.AppsV1().StatefulSets(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*appsv1.DaemonSet]{
			kind:     "DaemonSet",
			kindRole: roleWorkload,
			desired:  func(c *resources.Children) []*appsv1.DaemonSet { return c.DaemonSets },
			podSpec:  func(o *appsv1.DaemonSet) *corev1.PodSpec { return &o.Spec.Template.Spec },
			get: func(c *Controller, ns, name string) (*appsv1.DaemonSet, error) {
				return c.scope(ns).DaemonSets.Lister().DaemonSets(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*appsv1.DaemonSet, error) {
				return c.kube.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*appsv1.DaemonSet, error) {
				return c.scope(ns).DaemonSets.Lister().DaemonSets(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *appsv1.DaemonSet) error {
				_, err := c.kube.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *appsv1.DaemonSet) error {
				_, err := c.kube.AppsV1().DaemonSets(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.AppsV1().DaemonSets(ns).Delete(ctx, name, opts)
			},
		},
		&childKind[*policyv1.PodDisruptionBudget]{
			kind:    "PodDisruptionBudget",
			desired: func(c *resources.Children) []*policyv1.PodDisruptionBudget { return c.PodDisruptionBudgets },
			get: func(c *Controller, ns, name string) (*policyv1.PodDisruptionBudget, error) {
				return c.scope(ns).PodDisruptionBudgets.Lister().PodDisruptionBudgets(ns).Get(name)
			},
			getLive: func(ctx context.Context, c *Controller, ns, name string) (*policyv1.PodDisruptionBudget, error) {
				return c.kube.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, metav1.GetOptions{})
			},
			list: func(c *Controller, ns string, sel labels.Selector) ([]*policyv1.PodDisruptionBudget, error) {
				return c.scope(ns).PodDisruptionBudgets.Lister().PodDisruptionBudgets(ns).List(sel)
			},
			create: func(ctx context.Context, c *Controller, o *policyv1.PodDisruptionBudget) error {
				_, err := c.kube.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
				return err
			},
			update: func(ctx context.Context, c *Controller, o *policyv1.PodDisruptionBudget) error {
				_, err := c.kube.PolicyV1().PodDisruptionBudgets(o.Namespace).Update(ctx, o, metav1.UpdateOptions{})
				return err
			},
			delete: func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error {
				return c.kube.PolicyV1().PodDisruptionBudgets(ns).Delete(ctx, name, opts)
			},
		},
		serviceMonitorKind(),
	}
}

// preserveServiceAllocations keeps what the API server allocated (cluster IPs, IP families, node ports) when we
// replace a Service's spec: those fields are immutable or allocated, and the builders do not set them.
func preserveServiceAllocations(actual, updated *corev1.Service) {
	if updated.Spec.ClusterIP == "" {
		updated.Spec.ClusterIP = actual.Spec.ClusterIP
		updated.Spec.ClusterIPs = actual.Spec.ClusterIPs
	}
	if len(updated.Spec.IPFamilies) == 0 {
		updated.Spec.IPFamilies = actual.Spec.IPFamilies
	}
	if updated.Spec.IPFamilyPolicy == nil {
		updated.Spec.IPFamilyPolicy = actual.Spec.IPFamilyPolicy
	}
}
