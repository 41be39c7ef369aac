package promcrwatch

import (
	"context"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringfake "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned/fake"
	"github.com/prometheus/prometheus/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/metadata/metadatainformer"
	clienttesting "k8s.io/client-go/testing"
)

// passwordSink keeps the basic-auth password of every job of the last push.
type passwordSink struct {
	mu   sync.Mutex
	last map[string]string
}

func (s *passwordSink) push(cfgs []*config.ScrapeConfig) {
	m := map[string]string{}
	for _, c := range cfgs {
		if ba := c.HTTPClientConfig.BasicAuth; ba != nil {
			m[c.JobName] = string(ba.Password)
		} else {
			m[c.JobName] = ""
		}
	}
	s.mu.Lock()
	s.last = m
	s.mu.Unlock()
}

func (s *passwordSink) waitFor(t *testing.T, job, password string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got, ok := s.last[job]
		s.mu.Unlock()
		if ok && got == password {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s password %q (present %v), want %q", job, got, ok, password)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The attacker is any author of a monitor in the collector's namespace, and anyone who later reads the TA's
// memory (a heap dump, /debug/pprof): the TA must read only the Secrets selected monitors reference, once per
// version, and forget a value once nothing references it. The namespace's other Secrets never leave the API.
func TestOnlyReferencedSecretsAreRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const ns = "obs"
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds", ResourceVersion: "1"},
		Data: map[string][]byte{"user": []byte("scraper"), "password": []byte("p1")}}
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-root", ResourceVersion: "1"},
		Data: map[string][]byte{"password": []byte("never-read")}}
	kube := kubefake.NewClientset(creds, other)
	var mu sync.Mutex
	reads := map[string]int{}
	kube.PrependReactor("*", "secrets", func(a clienttesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		switch a := a.(type) {
		case clienttesting.GetAction:
			reads[a.GetName()]++
		case clienttesting.ListAction, clienttesting.WatchAction:
			reads["list or watch"]++
		}
		return false, nil, nil
	})
	readsOf := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return reads[name]
	}
	// The fake metadata client stores Secrets as their metadata, as the API server's metadata view serves them.
	scheme := runtime.NewScheme()
	scheme.AddKnownTypeWithName(corev1.SchemeGroupVersion.WithKind("Secret"), &metav1.PartialObjectMetadata{})
	scheme.AddKnownTypeWithName(corev1.SchemeGroupVersion.WithKind("SecretList"), &metav1.PartialObjectMetadataList{})
	partial := func(s *corev1.Secret) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: s.ObjectMeta}
	}
	meta := metadatafake.NewSimpleMetadataClient(scheme, partial(creds), partial(other))
	gvr := corev1.SchemeGroupVersion.WithResource("secrets")

	mon := monitoringfake.NewSimpleClientset()
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: monitoringv1.SchemeGroupVersion.String(),
		APIResources: []metav1.APIResource{{Name: "servicemonitors", Namespaced: true}},
	}}
	monFactory := monitoringinformers.NewSharedInformerFactory(mon, 0)
	coreFactory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	metaFactory := metadatainformer.NewFilteredSharedInformerFactory(meta, 0, ns, nil)
	sink := &passwordSink{}
	w, err := New(Options{
		Monitoring: monFactory,
		Discovery:  kube.Discovery(),
		Namespaces: coreFactory.Core().V1().Namespaces(),
		Scoped: map[string]ScopedNamespace{ns: {
			SecretMetadata: metaFactory.ForResource(gvr).Informer(),
			GetSecret: func(ctx context.Context, name string) (*corev1.Secret, error) {
				return kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			},
			ConfigMaps: coreFactory.Core().V1().ConfigMaps(),
		}},
		Settings: settings(),
		Sink:     sink.push,
		Debounce: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	monFactory.Start(ctx.Done())
	coreFactory.Start(ctx.Done())
	metaFactory.Start(ctx.Done())
	defer func() {
		cancel()
		<-done
		monFactory.Shutdown()
		coreFactory.Shutdown()
		metaFactory.Shutdown()
	}()
	waitSynced(t, w)

	sms := mon.MonitoringV1().ServiceMonitors(ns)
	sm := serviceMonitor(ns, "secured", "web")
	sm.Spec.Endpoints[0].BasicAuth = &monitoringv1.BasicAuth{
		Username: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "user"},
		Password: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"},
	}
	if _, err := sms.Create(ctx, sm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const job = "serviceMonitor/obs/secured/0"
	sink.waitFor(t, job, "p1")

	// More recomputations (an unrelated monitor) read nothing again: the version did not change.
	if _, err := sms.Create(ctx, serviceMonitor(ns, "plain", "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, "serviceMonitor/obs/plain/0", "")
	if n := readsOf("creds"); n != 1 {
		t.Errorf("creds read %d times for one version, want 1", n)
	}

	// A new version of the referenced Secret is read once and served.
	creds.Data["password"], creds.ResourceVersion = []byte("p2"), "2"
	if _, err := kube.CoreV1().Secrets(ns).Update(ctx, creds, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := meta.Tracker().Update(gvr, partial(creds), ns); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, job, "p2")
	if n := readsOf("creds"); n != 2 {
		t.Errorf("creds read %d times for two versions, want 2", n)
	}

	// Nothing references it any more: its value is forgotten.
	if err := sms.Delete(ctx, "secured", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for held := w.referenced[ns].held(); len(held) != 0; held = w.referenced[ns].held() {
		if time.Now().After(deadline) {
			t.Fatalf("secret values still held after their monitor left: %v", held)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := readsOf("db-root"); n != 0 {
		t.Errorf("an unreferenced Secret was read %d times", n)
	}
	if n := readsOf("list or watch"); n != 0 {
		t.Errorf("Secret values were listed or watched %d times; only metadata may be", n)
	}
}
