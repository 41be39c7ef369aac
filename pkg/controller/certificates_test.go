package controller

import (
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/certissuer"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

func mtlsSeed(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	col := seed(t)
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	col.Spec.TargetAllocator.MTLS.Enabled = true
	return col
}

func (f *fixture) secret(name string) *corev1.Secret {
	f.t.Helper()
	s, err := f.kube.CoreV1().Secrets("default").Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("Secret %s: %v", name, err)
	}
	return s
}

// material reads the three Secrets back as the controller plans from them.
func (f *fixture) material(col *v1alpha1.OpenTelemetryCollector) certissuer.Material {
	return resources.CertificatesFromSecrets(f.secret(resources.TargetAllocatorCASecretName(col.Name)),
		f.secret(resources.TargetAllocatorServerSecretName(col.Name)), f.secret(resources.TargetAllocatorClientSecretName(col.Name)))
}

// TestCertificatesIssuedOnceAndMounted: a CR asking for mtls gets a CA and leaves that verify for the TA's Service
// name and as a client, both pods mount them, and further syncs write nothing (no re-issue per sync).
func TestCertificatesIssuedOnceAndMounted(t *testing.T) {
	col := mtlsSeed(t)
	f := newFixture(t, col)
	f.converge()
	m := f.material(col)
	if err := certissuer.Verify(m.Server, m.CA.CertPEM, x509.ExtKeyUsageServerAuth, resources.TargetAllocatorName(col.Name)+".default.svc", time.Now()); err != nil {
		t.Errorf("server certificate: %v", err)
	}
	if err := certissuer.Verify(m.Client, m.CA.CertPEM, x509.ExtKeyUsageClientAuth, "", time.Now()); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	server := f.secret(resources.TargetAllocatorServerSecretName(col.Name))
	if string(server.Data[resources.TLSCAKey]) != string(m.CA.CertPEM) && !strings.Contains(string(server.Data[resources.TLSCAKey]), strings.TrimSpace(string(m.CA.CertPEM))) {
		t.Error("the server Secret's ca.crt does not hold the CA")
	}

	ta, err := f.kube.AppsV1().Deployments("default").Get(f.ctx, resources.TargetAllocatorName(col.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !mountsSecret(ta.Spec.Template.Spec, resources.TargetAllocatorServerSecretName(col.Name)) || mountsSecret(ta.Spec.Template.Spec, resources.TargetAllocatorCASecretName(col.Name)) {
		t.Errorf("TA volumes %v: want the server Secret and never the CA", ta.Spec.Template.Spec.Volumes)
	}
	sts, err := f.kube.AppsV1().StatefulSets("default").Get(f.ctx, resources.CollectorName(col.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !mountsSecret(sts.Spec.Template.Spec, resources.TargetAllocatorClientSecretName(col.Name)) || mountsSecret(sts.Spec.Template.Spec, resources.TargetAllocatorCASecretName(col.Name)) {
		t.Errorf("collector volumes %v: want the client Secret and never the CA", sts.Spec.Template.Spec.Volumes)
	}
	if sts.Spec.Template.Annotations[resources.TrustAnchorAnnotation] == "" {
		t.Error("the collector pod template has no trust anchor annotation")
	}

	for range 3 {
		if err := f.c.sync(f.ctx, seedKey); err != nil {
			t.Fatal(err)
		}
	}
	if w := f.writes(); len(w) > 0 {
		t.Errorf("syncs of an issued collector wrote %v", w)
	}
	if again := f.material(col); string(again.CA.KeyPEM) != string(m.CA.KeyPEM) || string(again.Server.CertPEM) != string(m.Server.CertPEM) {
		t.Error("the certificates changed without a reason")
	}
}

// TestDeletedLeafReissuedFromTheSameCA: deleting a leaf Secret (a forced renewal) brings a new leaf signed by the
// CA the pods already trust, so nothing has to roll.
func TestDeletedLeafReissuedFromTheSameCA(t *testing.T) {
	col := mtlsSeed(t)
	f := newFixture(t, col)
	f.converge()
	before := f.material(col)
	sts, _ := f.kube.AppsV1().StatefulSets("default").Get(f.ctx, resources.CollectorName(col.Name), metav1.GetOptions{})
	anchor := sts.Spec.Template.Annotations[resources.TrustAnchorAnnotation]
	if err := f.kube.CoreV1().Secrets("default").Delete(f.ctx, resources.TargetAllocatorClientSecretName(col.Name), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.converge()
	after := f.material(col)
	if string(after.Client.CertPEM) == string(before.Client.CertPEM) {
		t.Fatal("the client certificate was not reissued")
	}
	if string(after.CA.CertPEM) != string(before.CA.CertPEM) || string(after.Server.CertPEM) != string(before.Server.CertPEM) {
		t.Error("a deleted client Secret replaced the CA or the server certificate")
	}
	if err := certissuer.Verify(after.Client, before.CA.CertPEM, x509.ExtKeyUsageClientAuth, "", time.Now()); err != nil {
		t.Errorf("the new client certificate does not chain to the old CA: %v", err)
	}
	sts, _ = f.kube.AppsV1().StatefulSets("default").Get(f.ctx, resources.CollectorName(col.Name), metav1.GetOptions{})
	if got := sts.Spec.Template.Annotations[resources.TrustAnchorAnnotation]; got != anchor {
		t.Error("a leaf renewal changed the trust anchor (it would roll the collectors)")
	}
}

// TestPlantedCertificatesNeverUsed plays a tenant who creates the CA Secret before the CR (or after an orphaning
// delete): with a controller reference to the collector's UID faked away, or with the collector's labels and no
// controller. The operator must neither sign with the planted CA key nor serve the planted certificates.
func TestPlantedCertificatesNeverUsed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		owner     []metav1.OwnerReference
		unlabeled bool
		adopted   bool
	}{
		{name: "labelled orphan", adopted: true},
		{name: "controlled by someone else", owner: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "other", Controller: ptrTrue()}}},
		{name: "unlabelled, no controller", unlabeled: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col := mtlsSeed(t)
			planted, err := certissuer.NewCA("planted", time.Now(), time.Hour*24)
			if err != nil {
				t.Fatal(err)
			}
			name := resources.TargetAllocatorCASecretName(col.Name)
			s := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", OwnerReferences: tc.owner, Labels: map[string]string{
					resources.LabelManagedBy: resources.ManagedByValue, resources.LabelInstance: resources.InstanceValue(col),
				}},
				Data: map[string][]byte{resources.TLSCAKey: planted.CertPEM, "ca.key": planted.KeyPEM},
			}
			if tc.unlabeled {
				s.Labels = nil
			}
			f := newFixture(t, col, []runtime.Object{s}...)
			f.converge()
			if !tc.adopted {
				// Someone else's: left alone, reported, and nothing issued beside it.
				if got := f.secret(name); string(got.Data["ca.key"]) != string(planted.KeyPEM) {
					t.Error("someone else's Secret was overwritten")
				}
				if _, err := f.kube.CoreV1().Secrets("default").Get(f.ctx, resources.TargetAllocatorServerSecretName(col.Name), metav1.GetOptions{}); err == nil {
					t.Error("a server certificate was issued beside a CA Secret the collector does not control")
				}
				cur, err := f.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors("default").Get(f.ctx, col.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				cond := meta.FindStatusCondition(cur.Status.Conditions, ConditionReconciled)
				if cond == nil || cond.Reason != ReasonChildConflict || !strings.Contains(cond.Message, "Secret "+name) {
					t.Errorf("Reconciled = %+v, want %s naming Secret %s", cond, ReasonChildConflict, name)
				}
				return
			}
			server := f.secret(resources.TargetAllocatorServerSecretName(col.Name))
			kp := certissuer.KeyPair{CertPEM: server.Data[resources.TLSCertKey], KeyPEM: server.Data[resources.TLSKeyKey]}
			if err := certissuer.Verify(kp, planted.CertPEM, x509.ExtKeyUsageServerAuth, resources.TargetAllocatorName(col.Name), time.Now()); err == nil {
				t.Fatal("the server certificate was signed with the planted CA")
			}
			if strings.Contains(string(server.Data[resources.TLSCAKey]), strings.TrimSpace(string(planted.CertPEM))) {
				t.Fatal("the planted CA is in the trust bundle")
			}
			if got := f.secret(name); string(got.Data["ca.key"]) == string(planted.KeyPEM) {
				t.Error("the adopted CA Secret keeps the planted key")
			}
		})
	}
}

func mountsSecret(spec corev1.PodSpec, name string) bool {
	return slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == name })
}

// TestLeavesWaitForTheirCA: when the CA Secret cannot be written, no leaf from the unsaved CA is handed out (the
// next plan would issue another CA and nobody would trust it) and no workload is rolled onto missing Secrets.
func TestLeavesWaitForTheirCA(t *testing.T) {
	col := mtlsSeed(t)
	f := newFixture(t, col)
	ca := resources.TargetAllocatorCASecretName(col.Name)
	f.kube.PrependReactor("create", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.CreateAction).GetObject().(*corev1.Secret).Name == ca {
			return true, nil, apierrors.NewInternalError(errors.New("etcd is down"))
		}
		return false, nil, nil
	})
	for range 3 {
		if err := f.c.sync(f.ctx, seedKey); err == nil {
			t.Fatal("a sync whose CA Secret failed reported no error")
		}
	}
	for _, name := range []string{resources.TargetAllocatorServerSecretName(col.Name), resources.TargetAllocatorClientSecretName(col.Name)} {
		if _, err := f.kube.CoreV1().Secrets("default").Get(f.ctx, name, metav1.GetOptions{}); err == nil {
			t.Errorf("Secret %s was written from a CA that was never stored", name)
		}
	}
	if _, err := f.kube.AppsV1().Deployments("default").Get(f.ctx, resources.TargetAllocatorName(col.Name), metav1.GetOptions{}); err == nil {
		t.Error("the TA Deployment was created without its server certificate")
	}
	if _, err := f.kube.AppsV1().StatefulSets("default").Get(f.ctx, resources.CollectorName(col.Name), metav1.GetOptions{}); err == nil {
		t.Error("the collector StatefulSet was created without its client certificate")
	}
}

// TestCertificatesRenewedWhileConfigBroken: a CR whose config no longer builds keeps its last children, but its
// certificates are still renewed when due, so a broken config does not also cut the collectors off the TA.
func TestCertificatesRenewedWhileConfigBroken(t *testing.T) {
	col := mtlsSeed(t)
	f := newFixture(t, col)
	f.converge()
	before := f.material(col)
	f.updateCollector(func(c *v1alpha1.OpenTelemetryCollector) {
		c.Spec.Config = "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n"
	})
	later := time.Now().Add(certissuer.DefaultLeafLifetime)
	f.c.now = func() time.Time { return later }
	writes := f.converge()
	after := f.material(col)
	if string(after.Client.CertPEM) == string(before.Client.CertPEM) || string(after.Server.CertPEM) == string(before.Server.CertPEM) {
		t.Fatal("leaves past their lifetime were not renewed while the config was broken")
	}
	if err := certissuer.Verify(after.Client, after.CA.CertPEM, x509.ExtKeyUsageClientAuth, "", later); err != nil {
		t.Errorf("renewed client certificate: %v", err)
	}
	for _, w := range writes {
		if !strings.HasPrefix(w, "update secrets/") && !strings.HasPrefix(w, "create secrets/") && w != "update opentelemetrycollectors/status" {
			t.Errorf("a CR that does not build wrote %s", w)
		}
	}
	if got := readyCondition(f.collector()); got.Reason != ReasonInvalidConfig {
		t.Errorf("Ready = %+v, want %s", got, ReasonInvalidConfig)
	}
}
