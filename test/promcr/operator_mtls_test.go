package promcr_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const mtlsCollectorConfig = `receivers:
  prometheus:
    config:
      scrape_configs: []
exporters:
  debug: {}
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [debug]
`

// TestOperatorIssuedMTLS runs the operator's controller and the real TA binary on the config and certificates the
// operator wrote (the Secrets' files laid out as kubelet would mount them): a ServiceMonitor's basic-auth password
// reaches a client holding the operator-issued client certificate, a client without one is refused at the
// handshake, and after a forced renewal (the three Secrets deleted) the new certificates work and the old client
// certificate no longer does.
func TestOperatorIssuedMTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	otel := versioned.NewForConfigOrDie(suite.Config)
	const ns = "promcr-operator-mtls"
	const password = "operator-mtls-password"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	createService(ctx, t, kube, ns)
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		Data:       map[string][]byte{"user": []byte("scraper"), "password": []byte(password)},
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, creds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ref := func(key string) corev1.SecretKeySelector {
		return corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: key}
	}
	ep := monitoringv1.Endpoint{Port: "http"}
	ep.BasicAuth = &monitoringv1.BasicAuth{Username: ref("user"), Password: ref("password")}
	if _, err := mon.MonitoringV1().ServiceMonitors(ns).Create(ctx, serviceMonitor(ns, "secured", ep), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	opCtx, stopOp := context.WithCancel(context.Background())
	stop, err := testenv.StartOperator(opCtx, suite.Config, resources.Options{CollectorImage: "collector:test", TargetAllocatorImage: "ta:test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopOp(); stop() })

	col := &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "metrics"},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:   v1alpha1.ModeStatefulSet,
			Config: mtlsCollectorConfig,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{
				Enabled: true,
				PrometheusCR: v1alpha1.PrometheusCRSpec{
					Enabled:                true,
					ServiceMonitorSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"suite-test": ns}},
				},
				MTLS: v1alpha1.TargetAllocatorMTLSSpec{Enabled: true},
			},
		},
	}
	if _, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The pods' files: the TA's Secret where its config names them, the collector's for the test's client.
	dir := t.TempDir()
	server := waitSecret(ctx, t, kube, ns, resources.TargetAllocatorServerSecretName(col.Name), nil)
	client := waitSecret(ctx, t, kube, ns, resources.TargetAllocatorClientSecretName(col.Name), nil)
	mountSecret(t, filepath.Join(dir, "tls"), server)
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, resources.TargetAllocatorName(col.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data[resources.TargetAllocatorConfigKey]), &config); err != nil {
		t.Fatal(err)
	}
	https, _ := config["https"].(map[string]any)
	if https["enabled"] != true {
		t.Fatalf("the operator's TA config has no mTLS listener: %v", config["https"])
	}
	// Only the listen address and the mount point differ from the pod; every other key is the operator's.
	httpsAddr := freeAddr(t)
	https["listen_addr"] = httpsAddr
	for _, k := range []string{"ca_file_path", "tls_cert_file_path", "tls_key_file_path"} {
		https[k] = filepath.Join(dir, "tls", filepath.Base(fmt.Sprint(https[k])))
	}
	rendered, err := yaml.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	base := startTA(t, ns, string(rendered))
	job := "serviceMonitor/" + ns + "/secured/0"
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, job) })

	serverName := resources.TargetAllocatorName(col.Name) + "." + ns + ".svc"
	password0, err := passwordOver(clientOf(t, client, serverName), "https://"+httpsAddr, job)
	if err != nil {
		t.Fatal(err)
	}
	if password0 != password {
		t.Errorf("over the operator-issued client certificate the password is %q, want %q", password0, password)
	}
	noCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool(t, client.Data[resources.TLSCAKey]), ServerName: serverName,
	}}}
	if body, err := get(noCert, "https://"+httpsAddr+"/scrape_configs"); err == nil {
		t.Errorf("HTTPS without a client certificate served %s", body)
	}

	// Forced renewal: a new CA and new leaves; the TA reloads its files, as it does when kubelet updates them.
	for _, name := range []string{resources.TargetAllocatorCASecretName(col.Name), server.Name, client.Name} {
		if err := kube.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	newServer := waitSecret(ctx, t, kube, ns, server.Name, server.Data[resources.TLSCertKey])
	newClient := waitSecret(ctx, t, kube, ns, client.Name, client.Data[resources.TLSCertKey])
	if string(newServer.Data[resources.TLSCAKey]) == string(server.Data[resources.TLSCAKey]) {
		t.Fatal("deleting the CA Secret did not bring a new CA")
	}
	mountSecret(t, filepath.Join(dir, "tls"), newServer)
	taprocess.Eventually(t, 30*time.Second, func() error {
		got, err := passwordOver(clientOf(t, newClient, serverName), "https://"+httpsAddr, job)
		if err != nil {
			return err
		}
		if got != password {
			return fmt.Errorf("password %q", got)
		}
		return nil
	})
	taprocess.Eventually(t, 30*time.Second, func() error {
		old := clientOf(t, client, serverName)
		old.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool(t, newClient.Data[resources.TLSCAKey])
		if body, err := get(old, "https://"+httpsAddr+"/scrape_configs"); err == nil {
			return fmt.Errorf("the client certificate of the replaced CA is still accepted: %.80s", body)
		}
		return nil
	})
}

// waitSecret waits until Secret name exists with a tls.crt other than not, and returns it.
func waitSecret(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name string, not []byte) *corev1.Secret {
	t.Helper()
	var s *corev1.Secret
	taprocess.Eventually(t, 30*time.Second, func() error {
		got, err := kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(got.Data[resources.TLSCertKey]) == 0 || string(got.Data[resources.TLSCertKey]) == string(not) {
			return fmt.Errorf("Secret %s holds no new certificate yet", name)
		}
		s = got
		return nil
	})
	return s
}

// mountSecret writes a Secret's keys into dir the way kubelet updates a Secret volume: each file replaced whole.
func mountSecret(t *testing.T, dir string, s *corev1.Secret) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range s.Data {
		tmp := filepath.Join(dir, "."+k+".tmp")
		if err := os.WriteFile(tmp, v, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
}

func pool(t *testing.T, pem []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in the bundle")
	}
	return p
}

// clientOf is an HTTPS client with s's certificate, trusting s's CA bundle for serverName.
func clientOf(t *testing.T, s *corev1.Secret, serverName string) *http.Client {
	t.Helper()
	cert, err := tls.X509KeyPair(s.Data[resources.TLSCertKey], s.Data[resources.TLSKeyKey])
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool(t, s.Data[resources.TLSCAKey]), Certificates: []tls.Certificate{cert}, ServerName: serverName,
	}}}
}

// passwordOver returns the basic-auth password of job in /scrape_configs at base.
func passwordOver(client *http.Client, base, job string) (string, error) {
	sc, err := scrapeConfig(client, base, job)
	if err != nil {
		return "", err
	}
	basic, _ := sc["basic_auth"].(map[string]any)
	p, _ := basic["password"].(string)
	return p, nil
}
