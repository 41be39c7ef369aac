package controller

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

const (
	// TargetAllocatorEventSource is the source.component of the target allocator's Events.
	TargetAllocatorEventSource = "target-allocator"
	// TargetAllocatorEventSelector is the field selector of the Event informer: only the target allocator's
	// Events about collectors, so the operator never caches the cluster's other Events.
	TargetAllocatorEventSelector = "source=" + TargetAllocatorEventSource + ",involvedObject.kind=" + collectorKind

	collectorKind = "OpenTelemetryCollector"
	// involvedCollectorIndex indexes Events by "<namespace>/<name>" of the collector they are about.
	involvedCollectorIndex = "involvedCollector"
)

// TargetAllocatorEventsOption filters an informer factory to TargetAllocatorEventSelector; the factory serves
// only NamespaceInformers.TargetAllocatorEvents (the field selector means nothing to other kinds).
func TargetAllocatorEventsOption() informers.SharedInformerOption {
	return informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.FieldSelector = TargetAllocatorEventSelector })
}

// TargetAllocatorEventsFrom picks the Event informer out of a factory built with TargetAllocatorEventsOption.
// Calling it registers the informer with the factory, so call it before starting it.
func TargetAllocatorEventsFrom(f informers.SharedInformerFactory) coreinformers.EventInformer {
	return f.Core().V1().Events()
}

// isAboutCollector tells whether e is a target allocator Event on an OpenTelemetryCollector. The informer's field
// selector says the same; this check is for clients that ignore field selectors (fakes) and for safety.
func isAboutCollector(e *corev1.Event) bool {
	o := e.InvolvedObject
	return e.Source.Component == TargetAllocatorEventSource && o.Kind == collectorKind &&
		(o.APIVersion == "" || strings.HasPrefix(o.APIVersion, v1alpha1.GroupName+"/"))
}

// eventCollectorKey maps an Event to the key of the collector it is about, or "" when it is not a target
// allocator Event on a collector.
func eventCollectorKey(obj any) string {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	e, ok := obj.(*corev1.Event)
	if !ok || !isAboutCollector(e) || e.InvolvedObject.Name == "" {
		return ""
	}
	ns := e.InvolvedObject.Namespace
	if ns == "" {
		ns = e.Namespace
	}
	return ns + "/" + e.InvolvedObject.Name
}

// watchTargetAllocatorEvents enqueues the collector an Event is about and indexes Events by that collector, so
// the status computation finds a collector's Events without scanning the cache.
func (c *Controller) watchTargetAllocatorEvents(inf cache.SharedIndexInformer) error {
	err := inf.AddIndexers(cache.Indexers{involvedCollectorIndex: func(obj any) ([]string, error) {
		if k := eventCollectorKey(obj); k != "" {
			return []string{k}, nil
		}
		return nil, nil
	}})
	if err != nil {
		return fmt.Errorf("adding the event index: %w", err)
	}
	_, err = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.handleTargetAllocatorEvent,
		UpdateFunc: func(old, obj any) {
			// Resyncs deliver unchanged Events; only a new or repeated report (a new resourceVersion) is news.
			if o, ok := old.(*corev1.Event); ok {
				if n, ok := obj.(*corev1.Event); ok && o.ResourceVersion == n.ResourceVersion {
					return
				}
			}
			c.handleTargetAllocatorEvent(obj)
		},
		// An expired Event changes nothing (the condition keeps the last report), so deletes are not watched.
	})
	if err != nil {
		return fmt.Errorf("adding the event handler: %w", err)
	}
	c.synced = append(c.synced, inf.HasSynced)
	return nil
}

func (c *Controller) handleTargetAllocatorEvent(obj any) {
	key := eventCollectorKey(obj)
	if key == "" {
		return
	}
	if ns, _, _ := strings.Cut(key, "/"); c.watched(ns) {
		c.queue.Add(key)
	}
}

// targetAllocatorEvents returns the cached target allocator Events about col (nil without an Event informer).
func (c *Controller) targetAllocatorEvents(col *v1alpha1.OpenTelemetryCollector) []*corev1.Event {
	inf := c.scope(col.Namespace).TargetAllocatorEvents
	if inf == nil {
		return nil
	}
	objs, err := inf.Informer().GetIndexer().ByIndex(involvedCollectorIndex, col.Namespace+"/"+col.Name)
	if err != nil {
		return nil
	}
	out := make([]*corev1.Event, 0, len(objs))
	for _, o := range objs {
		if e, ok := o.(*corev1.Event); ok {
			out = append(out, e)
		}
	}
	return out
}
