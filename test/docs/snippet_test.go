package docs_test

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/generated/informers/externalversions"
)

// listCollectors prints every collector with a target allocator, from an informer cache.
func listCollectors(ctx context.Context, cfg *rest.Config) error {
	client, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	factory := externalversions.NewSharedInformerFactory(client, 10*time.Minute)
	collectors := factory.Opentelemetry().V1alpha1().OpenTelemetryCollectors()
	lister := collectors.Lister()
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), collectors.Informer().HasSynced) {
		return ctx.Err()
	}
	all, err := lister.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Spec.TargetAllocator.Enabled {
			fmt.Printf("%s/%s: %s, strategy %s\n", c.Namespace, c.Name, c.Spec.Mode, c.Spec.TargetAllocator.AllocationStrategy)
		}
	}
	return nil
}

var _ = listCollectors
