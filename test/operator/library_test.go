package operator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	otelinformers "github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
	listers "github.com/otelcol-operator/otelcol-operator/generated/listers/opentelemetry/v1alpha1"
)

// inventory is a third-party controller built only on the generated clientset, informers and listers: it keeps a
// ConfigMap listing the collectors of a namespace and their TA state. It shows the generated code is usable as a
// library, outside this operator.
type inventory struct {
	otel   versioned.Interface
	lister listers.OpenTelemetryCollectorLister
	queue  workqueue.TypedRateLimitingInterface[string]
}

func (inv *inventory) sync(ctx context.Context, ns string) error {
	cols, err := inv.lister.OpenTelemetryCollectors(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	var lines []string
	for _, c := range cols {
		// Read through the typed client too, as a controller would before acting.
		live, err := inv.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s mode=%s ta=%v", live.Name, live.Spec.Mode, live.Spec.TargetAllocator.Enabled))
	}
	slices.Sort(lines)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "collector-inventory", Namespace: ns},
		Data:       map[string]string{"collectors": strings.Join(lines, "\n")},
	}
	_, err = admin.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		_, err = admin.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	}
	return err
}

func TestGeneratedClientsAsALibrary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := newNamespace(t, ctx, "library")
	otel := versioned.NewForConfigOrDie(restConfigForLibrary())
	factory := otelinformers.NewSharedInformerFactoryWithOptions(otel, 0, otelinformers.WithNamespace(ns))
	informer := factory.Opentelemetry().V1alpha1().OpenTelemetryCollectors()
	inv := &inventory{
		otel:   otel,
		lister: informer.Lister(),
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	defer inv.queue.ShutDown()
	enqueue := func(obj any) {
		if o, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = o.Obj
		}
		if c, ok := obj.(*v1alpha1.OpenTelemetryCollector); ok {
			inv.queue.Add(c.Namespace)
		}
	}
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) }, DeleteFunc: enqueue,
	}); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	// Stop the informers (cancel) before waiting for them (Shutdown).
	defer func() { cancel(); factory.Shutdown() }()
	if !cache.WaitForCacheSync(ctx.Done(), informer.Informer().HasSynced) {
		t.Fatal("cache did not sync")
	}
	go func() {
		for {
			key, shutdown := inv.queue.Get()
			if shutdown {
				return
			}
			if err := inv.sync(ctx, key); err != nil {
				inv.queue.AddRateLimited(key)
			} else {
				inv.queue.Forget(key)
			}
			inv.queue.Done(key)
		}
	}()

	col := seedExample(t)
	col.Namespace = ns
	if _, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second collector built in Go. Its targetAllocator is enabled: with the TA off, a Go client sends
	// targetAllocator without "enabled" (omitempty) and the CRD's CEL rules reject it (see the report).
	second := &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Name: "second", Namespace: ns},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:            v1alpha1.ModeStatefulSet,
			Config:          col.Spec.Config,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{Enabled: true},
		},
	}
	if _, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, second, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "collector-with-ta mode=statefulset ta=true\nsecond mode=statefulset ta=true"
	eventually(t, "inventory lists both collectors", func() error {
		cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, "collector-inventory", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cm.Data["collectors"] != want {
			return fmt.Errorf("inventory %q", cm.Data["collectors"])
		}
		return nil
	})
}
