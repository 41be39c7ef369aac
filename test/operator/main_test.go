// Package operator_test runs the operator's controller against a real API server (envtest, no kubelet, no
// garbage collector) as the operator's own service account with the RBAC of manifests/operator, so a missing
// permission fails here as it would in a cluster.
package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const (
	ownerRefsAdmission = "OwnerReferencesPermissionEnforcement"
	operatorUser       = "system:serviceaccount:otelcol-operator-system:otelcol-operator"
	collectorImage     = "otel/opentelemetry-collector-contrib:0.165.0"
	taImage            = "ghcr.io/otelcol-operator/target-allocator:0.1.0"
)

var (
	testEnv     *testenv.Env
	adminConfig *rest.Config
	// admin acts as the user and the tests; the operator has its own clients.
	admin     kubernetes.Interface
	otelAdmin versioned.Interface
	// operatorWrites counts the operator's API requests that are not reads.
	operatorWrites atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// OwnerReferencesPermissionEnforcement (on in OpenShift) lets only who may update a collector's finalizers
	// create children with blockOwnerDeletion: with it on, every child this suite sees created proves the
	// operator's ClusterRole holds that right.
	env, err := testenv.StartWithAdmissionPlugins([]string{ownerRefsAdmission})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	testEnv = env
	adminConfig = env.Config
	admin = kubernetes.NewForConfigOrDie(env.Config)
	otelAdmin = versioned.NewForConfigOrDie(env.Config)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := applyOperatorManifests(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop, err := startOperator(ctx, env.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	stop()
	return code
}

// applyOperatorManifests creates the RBAC objects of manifests/operator (not the Deployment: there is no kubelet).
func applyOperatorManifests(ctx context.Context) error {
	dir := filepath.Join(testenv.RepoRoot(), "manifests", "operator")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	var roles, bindings []runtime.Object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			var obj runtime.Object
			switch tm.Kind {
			case "Namespace":
				obj = &corev1.Namespace{}
			case "ServiceAccount":
				obj = &corev1.ServiceAccount{}
			case "ClusterRole":
				obj = &rbacv1.ClusterRole{}
			case "ClusterRoleBinding":
				obj = &rbacv1.ClusterRoleBinding{}
			case "Role":
				obj = &rbacv1.Role{}
			case "RoleBinding":
				obj = &rbacv1.RoleBinding{}
			case "Service":
				obj = &corev1.Service{}
			case "PodDisruptionBudget":
				obj = &policyv1.PodDisruptionBudget{}
			case "Deployment":
				continue
			default:
				return fmt.Errorf("%s: unexpected kind %q", f, tm.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			switch o := obj.(type) {
			case *corev1.Namespace:
				_, err = admin.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
			case *corev1.ServiceAccount:
				roles = append(roles, o) // after the namespace
			default:
				if _, ok := o.(*rbacv1.RoleBinding); ok {
					bindings = append(bindings, o)
				} else if _, ok := o.(*rbacv1.ClusterRoleBinding); ok {
					bindings = append(bindings, o)
				} else {
					roles = append(roles, o)
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	for _, obj := range append(roles, bindings...) {
		var err error
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = admin.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			_, err = admin.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = admin.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *policyv1.PodDisruptionBudget:
			_, err = admin.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			err = fmt.Errorf("no create for %T", obj)
		}
		if err != nil {
			return fmt.Errorf("creating %T: %w", obj, err)
		}
	}
	return nil
}

// countingTransport counts requests that change something.
type countingTransport struct{ next http.RoundTripper }

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		// Events are the recorder's, not reconciliation writes.
		if !strings.Contains(r.URL.Path, "/events") {
			operatorWrites.Add(1)
		}
	}
	return t.next.RoundTrip(r)
}

// startOperator wires the controller as cmd/operator does, impersonating the operator's service account. Informer
// resync is off, so every drift, change and conflict test proves an event handler (or the conflict backoff), not
// a periodic full check.
func startOperator(ctx context.Context, adminCfg *rest.Config) (func(), error) {
	cfg := rest.CopyConfig(adminCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: operatorUser}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} })
	// Cluster-wide target allocators allowed, so cluster-scoped children are exercised (test/security covers the
	// default).
	return testenv.StartOperator(ctx, cfg, resources.Options{CollectorImage: collectorImage, TargetAllocatorImage: taImage, AllowClusterWideTargetAllocators: true})
}

// restConfigForLibrary is the admin's config: the library test plays a different controller than the operator.
func restConfigForLibrary() *rest.Config { return rest.CopyConfig(adminConfig) }
