// Package security_test plays a tenant against the operator on a real API server (envtest with RBAC): a namespace
// admin tries every route to rights outside their namespace through OpenTelemetryCollectors, and
// SubjectAccessReviews show what the resulting accounts may do. It also admits a Pod made from each generated pod
// template into a namespace that enforces the restricted Pod Security Standard.
package security_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	otelscheme "github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned/scheme"
	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const (
	operatorUser = "system:serviceaccount:otelcol-operator-system:otelcol-operator"
	// tenantNS is where the tenant is admin; victimNS is a namespace the tenant has no right in.
	tenantNS = "tenant-a"
	victimNS = "tenant-b"
	// allowedNS is watched by a second operator that allows cluster-wide target allocators.
	allowedNS = "tenant-c"
	tenant    = "alice"
	// editor holds the built-in edit role in tenantNS: the least a collector author holds.
	editor = "eddie"
)

var (
	adminConfig *rest.Config
	admin       kubernetes.Interface
	otelAdmin   versioned.Interface
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	env, err := testenv.Start("test/crds")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	adminConfig = env.Config
	admin = kubernetes.NewForConfigOrDie(env.Config)
	otelAdmin = versioned.NewForConfigOrDie(env.Config)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := applyManifests(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := aggregateClusterRoles(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := setUpTenants(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// One operator per namespace scope: the default one, and one an admin allowed cluster-wide target allocators.
	stop1, err := startOperator(ctx, tenantNS, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop2, err := startOperator(ctx, allowedNS, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	stop1()
	stop2()
	return code
}

// applyManifests creates the Namespace, ServiceAccount and RBAC objects of manifests/operator as a cluster admin
// would install them (not the Deployment: there is no kubelet).
func applyManifests(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "manifests", "operator", "*.yaml"))
	if err != nil {
		return err
	}
	var later []func() error
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
			switch tm.Kind {
			case "Namespace":
				o := &corev1.Namespace{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				if _, err := admin.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{}); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
			case "ServiceAccount":
				o := &corev1.ServiceAccount{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				later = append(later, func() error {
					_, err := admin.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
					return err
				})
			case "ClusterRole":
				o := &rbacv1.ClusterRole{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				later = append(later, func() error {
					_, err := admin.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
					return err
				})
			case "ClusterRoleBinding":
				o := &rbacv1.ClusterRoleBinding{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				later = append(later, func() error {
					_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
					return err
				})
			case "Role":
				o := &rbacv1.Role{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				later = append(later, func() error {
					_, err := admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
					return err
				})
			case "RoleBinding":
				o := &rbacv1.RoleBinding{}
				if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				later = append(later, func() error {
					_, err := admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
					return err
				})
			case "Deployment", "Service", "PodDisruptionBudget":
			default:
				return fmt.Errorf("%s: unexpected kind %q", f, tm.Kind)
			}
		}
	}
	for _, create := range later {
		if err := create(); err != nil {
			return err
		}
	}
	return nil
}

// aggregateClusterRoles does what kube-controller-manager's clusterrole-aggregation controller does (envtest runs
// no controller manager): it fills admin, edit and view with the rules of the ClusterRoles their aggregation rules
// select, including the shipped aggregated-roles.yaml. Three passes carry view into edit into admin.
func aggregateClusterRoles(ctx context.Context) error {
	for range 3 {
		all, err := admin.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, role := range all.Items {
			if role.AggregationRule == nil {
				continue
			}
			var rules []rbacv1.PolicyRule
			for _, sel := range role.AggregationRule.ClusterRoleSelectors {
				s, err := metav1.LabelSelectorAsSelector(&sel)
				if err != nil {
					return err
				}
				for _, other := range all.Items {
					if other.Name != role.Name && s.Matches(labels.Set(other.Labels)) {
						rules = append(rules, other.Rules...)
					}
				}
			}
			role.Rules = rules
			if _, err := admin.RbacV1().ClusterRoles().Update(ctx, &role, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// setUpTenants makes the namespaces, gives alice the built-in admin role in tenant-a (and carol in tenant-c),
// eddie edit in tenant-a, and puts a Secret in tenant-b that nobody of tenant-a may read.
func setUpTenants(ctx context.Context) error {
	for _, ns := range []string{tenantNS, victimNS, allowedNS} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		// envtest runs no ServiceAccount controller: make the account a namespace always has.
		if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for _, g := range []struct{ ns, user, role string }{{tenantNS, tenant, "admin"}, {allowedNS, "carol", "admin"}, {tenantNS, editor, "edit"}} {
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: g.user + "-" + g.role},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: g.user}},
		}
		if _, err := admin.RbacV1().RoleBindings(g.ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	_, err := admin.CoreV1().Secrets(victimNS).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "precious"}, StringData: map[string]string{"password": "hunter2"},
	}, metav1.CreateOptions{})
	return err
}

// startOperator runs the controller as cmd/operator does, as the operator's service account (so its RBAC from
// manifests/operator is what is tested), watching one namespace, with informer resync off.
func startOperator(ctx context.Context, namespace string, allowClusterWide bool) (func(), error) {
	cfg := rest.CopyConfig(adminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: operatorUser}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	otel, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = otelscheme.AddToScheme(scheme)
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: "otelcol-operator"})

	managed := informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = controller.ManagedBySelector })
	otelFactory := otelinformers.NewSharedInformerFactoryWithOptions(otel, 0, otelinformers.WithNamespace(namespace))
	kubeFactory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(namespace), managed)
	clusterFactory := informers.NewSharedInformerFactoryWithOptions(kube, 0, managed)
	c, err := controller.New(controller.Config{
		KubeClient: kube,
		OtelClient: otel,
		Namespaces: []controller.NamespaceInformers{controller.NamespaceInformersFrom(namespace, otelFactory, kubeFactory)},
		Cluster:    controller.ClusterInformersFrom(clusterFactory),
		Recorder:   recorder,
		Options: resources.Options{
			CollectorImage:                   "otel/opentelemetry-collector-contrib:0.165.0",
			TargetAllocatorImage:             "ghcr.io/otelcol-operator/target-allocator:0.1.0",
			AllowClusterWideTargetAllocators: allowClusterWide,
		},
	})
	if err != nil {
		return nil, err
	}
	for _, f := range []interface{ Start(<-chan struct{}) }{otelFactory, kubeFactory, clusterFactory} {
		f.Start(ctx.Done())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx, 2); err != nil {
			fmt.Fprintln(os.Stderr, "controller:", err)
		}
	}()
	return func() {
		<-done
		otelFactory.Shutdown()
		kubeFactory.Shutdown()
		clusterFactory.Shutdown()
		broadcaster.Shutdown()
	}, nil
}

// as returns clients that act as user (impersonation).
func as(user string) (kubernetes.Interface, versioned.Interface) {
	cfg := rest.CopyConfig(adminConfig)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return kubernetes.NewForConfigOrDie(cfg), versioned.NewForConfigOrDie(cfg)
}

// eventually retries check until it succeeds or 30 s passed.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
