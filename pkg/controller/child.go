package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

type object interface {
	metav1.Object
	runtime.Object
}

// reconciler keeps one kind of child as desired.
type reconciler interface {
	// reconcile creates, updates and deletes this kind's children of col.
	reconcile(ctx context.Context, c *Controller, col *v1alpha1.OpenTelemetryCollector, desired *resources.Children, r *result) error
	// cleanup deletes cluster-scoped children of a collector that is gone (namespaced ones go with their owner).
	cleanup(ctx context.Context, c *Controller, namespace, name string) error
	// role tells whether the kind is configuration that workloads mount, a workload, or neither.
	role() kindRole
}

// kindRole orders writes: a workload is not updated in a sync whose configuration failed, so its pods never roll
// to a config hash whose config they do not get.
type kindRole int

const (
	roleOther kindRole = iota
	roleConfig
	roleWorkload
)

// result gathers what one sync did, for the status.
type result struct {
	// conflicts are children whose name is taken by an object this collector does not control.
	conflicts []string
	// failedConfig holds "<kind>/<name>" of the ConfigMaps and Secrets that could not be written in this sync (an
	// error or a conflict).
	failedConfig map[string]bool
	// heldWorkloads are workloads left as they are because a ConfigMap or Secret they mount failed.
	heldWorkloads []string
	// changes are the children written in this sync, per Normal event reason, in the order they were written.
	changes map[string][]string
	reasons []string
}

// changed records a child written in this sync. The sync emits one Normal Event per reason with every child in
// it, not one per child: a first sync creates about ten children, and ten Events per collector doubled the
// operator's writes and, behind client-go's rate limit, kept it writing long after the children were done.
func (r *result) changed(reason, child string) {
	if r.changes == nil {
		r.changes = map[string][]string{}
	}
	if _, ok := r.changes[reason]; !ok {
		r.reasons = append(r.reasons, reason)
	}
	r.changes[reason] = append(r.changes[reason], child)
}

// changeVerbs words each reason's Event message.
var changeVerbs = map[string]string{
	ReasonCreated:   "created",
	ReasonUpdated:   "updated",
	ReasonAdopted:   "adopted",
	ReasonReclaimed: "restored the labels of",
	ReasonDeleted:   "deleted",
}

// recordChanges emits the Events of the children written in this sync.
func (c *Controller) recordChanges(col *v1alpha1.OpenTelemetryCollector, r *result) {
	for _, reason := range r.reasons {
		c.recorder.Eventf(col, "Normal", reason, "%s %s", changeVerbs[reason], strings.Join(r.changes[reason], ", "))
	}
}

// mountsFailedConfig tells whether spec mounts a ConfigMap or Secret that failed in this sync: such a workload is not
// updated, so its pods never roll to a config hash whose config they do not get. Other workloads go on.
func (r *result) mountsFailedConfig(spec *corev1.PodSpec) bool {
	if spec == nil || len(r.failedConfig) == 0 {
		return false
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && r.failedConfig["ConfigMap/"+v.ConfigMap.Name] {
			return true
		}
		if v.Secret != nil && r.failedConfig["Secret/"+v.Secret.SecretName] {
			return true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil && r.failedConfig["ConfigMap/"+s.ConfigMap.Name] {
					return true
				}
				if s.Secret != nil && r.failedConfig["Secret/"+s.Secret.Name] {
					return true
				}
			}
		}
	}
	return false
}

// childKind is the reconciler of one kind; the functions bind it to its lister and typed client.
type childKind[T object] struct {
	kind          string
	clusterScoped bool
	desired       func(*resources.Children) []T
	get           func(c *Controller, ns, name string) (T, error)
	getLive       func(ctx context.Context, c *Controller, ns, name string) (T, error)
	list          func(c *Controller, ns string, sel labels.Selector) ([]T, error)
	create        func(ctx context.Context, c *Controller, obj T) error
	update        func(ctx context.Context, c *Controller, obj T) error
	delete        func(ctx context.Context, c *Controller, ns, name string, opts metav1.DeleteOptions) error
	// preserve copies server-assigned fields of actual into the object about to be written.
	preserve func(actual, updated T)
	// podSpec is a workload's pod spec (nil for other kinds), to see which ConfigMaps it mounts.
	podSpec func(T) *corev1.PodSpec
	// heldBy tells whether a desired object must wait for one written before it in this sync (nil: never).
	heldBy   func(T, *result) bool
	kindRole kindRole
}

func (k *childKind[T]) role() kindRole { return k.kindRole }

// instanceSelector selects the children of one collector among the operator's objects.
func instanceSelector(namespace, name string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{
		resources.LabelManagedBy: resources.ManagedByValue,
		resources.LabelInstance:  resources.InstanceLabelValue(namespace, name),
	})
}

// claim says how a child found under a desired name relates to col.
type claim int

const (
	// claimForeign: someone else's object; the operator leaves it alone and reports a conflict.
	claimForeign claim = iota
	// claimOwned: col controls it (controller reference, or the owner annotations of a cluster-scoped child).
	claimOwned
	// claimAdoptable: it carries col's labels and has no controller (an orphaning delete removed the owner
	// reference): the operator takes it back, as the built-in controllers adopt orphans matching their selector.
	claimAdoptable
)

// claimOf decides whether col controls obj. Namespaced children: through the controller reference. Cluster-scoped
// children cannot carry a namespaced owner, so through the owner annotations (never the name, which is hashed, nor
// the instance label, which may be truncated); ones without those annotations are adopted by their labels.
func (k *childKind[T]) claimOf(obj T, col *v1alpha1.OpenTelemetryCollector) claim {
	l := obj.GetLabels()
	labelled := l[resources.LabelManagedBy] == resources.ManagedByValue && l[resources.LabelInstance] == resources.InstanceValue(col)
	if k.clusterScoped {
		a := obj.GetAnnotations()
		ns, hasNS := a[resources.AnnotationOwnerNamespace]
		name, hasName := a[resources.AnnotationOwnerName]
		switch {
		case hasNS || hasName:
			if ns == col.Namespace && name == col.Name {
				return claimOwned
			}
			return claimForeign
		case labelled:
			return claimAdoptable
		}
		return claimForeign
	}
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		if ref.UID == col.UID {
			return claimOwned
		}
		return claimForeign
	}
	if labelled {
		return claimAdoptable
	}
	return claimForeign
}

// ownedBy tells whether col controls obj.
func (k *childKind[T]) ownedBy(obj T, col *v1alpha1.OpenTelemetryCollector) bool {
	return k.claimOf(obj, col) == claimOwned
}

func (k *childKind[T]) reconcile(ctx context.Context, c *Controller, col *v1alpha1.OpenTelemetryCollector, children *resources.Children, r *result) error {
	logger := klog.FromContext(ctx)
	var errs []error
	want := map[string]bool{}
	for _, d := range k.desired(children) {
		want[d.GetName()] = true
		if (k.podSpec != nil && r.mountsFailedConfig(k.podSpec(d))) || (k.heldBy != nil && k.heldBy(d, r)) {
			r.heldWorkloads = append(r.heldWorkloads, k.kind+" "+d.GetName())
			if k.kindRole == roleConfig {
				// Held configuration fails what mounts it in turn.
				if r.failedConfig == nil {
					r.failedConfig = map[string]bool{}
				}
				r.failedConfig[k.kind+"/"+d.GetName()] = true
			}
			continue
		}
		before := len(r.conflicts)
		err := k.ensure(ctx, c, col, d, r)
		if err != nil {
			errs = append(errs, err)
		}
		if k.kindRole == roleConfig && (err != nil || len(r.conflicts) > before) {
			if r.failedConfig == nil {
				r.failedConfig = map[string]bool{}
			}
			r.failedConfig[k.kind+"/"+d.GetName()] = true
		}
	}
	existing, err := k.list(c, col.Namespace, instanceSelector(col.Namespace, col.Name))
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("listing %ss: %w", k.kind, err))...)
	}
	for _, a := range existing {
		if want[a.GetName()] || !k.ownedBy(a, col) {
			continue
		}
		logger.V(2).Info("Deleting child no longer desired", "kind", k.kind, "name", a.GetName())
		if err := k.remove(ctx, c, a); err != nil {
			errs = append(errs, err)
			c.recorder.Eventf(col, "Warning", ReasonDeleteFailed, "deleting %s %s: %v", k.kind, a.GetName(), err)
			continue
		}
		r.changed(ReasonDeleted, k.kind+" "+a.GetName())
	}
	return errors.Join(errs...)
}

// ensure makes one desired child exist as desired, and makes it col's again when its labels, annotations or
// owner reference were edited away.
func (k *childKind[T]) ensure(ctx context.Context, c *Controller, col *v1alpha1.OpenTelemetryCollector, desired T, r *result) error {
	name := desired.GetName()
	if k.clusterScoped {
		desired = desired.DeepCopyObject().(T)
		annotations := maps.Clone(desired.GetAnnotations())
		if annotations == nil {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, resources.ClusterOwnerAnnotations(col))
		desired.SetAnnotations(annotations)
	}
	hash, err := desiredHash(desired)
	if err != nil {
		return err
	}
	desiredU, err := runtime.DefaultUnstructuredConverter.ToUnstructured(desired)
	if err != nil {
		return fmt.Errorf("converting desired %s %s: %w", k.kind, name, err)
	}
	actual, err := k.get(c, col.Namespace, name)
	switch {
	case apierrors.IsNotFound(err):
		// The cache holds only objects labelled as ours, so it cannot tell "absent" from "someone else's" or
		// "ours with its labels removed". Ask the API (a read) before creating.
		live, err := k.getLive(ctx, c, col.Namespace, name)
		if err == nil {
			if k.claimOf(live, col) == claimForeign {
				r.conflicts = append(r.conflicts, fmt.Sprintf("%s %s exists and is not managed by this operator", k.kind, name))
				return nil
			}
			// Ours: either just created (the cache lags behind our own write; the comparison below finds nothing
			// to do) or with its labels removed, so the label-filtered cache lost it: restore them.
			actual = live
			break
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("getting %s %s: %w", k.kind, name, err)
		}
		obj := desired.DeepCopyObject().(T)
		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[DesiredHashAnnotation] = hash
		obj.SetAnnotations(annotations)
		if err := k.create(ctx, c, obj); err != nil {
			if apierrors.IsAlreadyExists(err) {
				// Created since the read above: the next sync looks at it (as a conflict if it is not ours).
				return fmt.Errorf("creating %s %s: %w", k.kind, name, err)
			}
			c.recorder.Eventf(col, "Warning", ReasonCreateFailed, "creating %s %s: %v", k.kind, name, err)
			return fmt.Errorf("creating %s %s: %w", k.kind, name, err)
		}
		r.changed(ReasonCreated, k.kind+" "+name)
		return nil
	case err != nil:
		return fmt.Errorf("getting %s %s from the cache: %w", k.kind, name, err)
	}

	cl := k.claimOf(actual, col)
	if cl == claimForeign {
		r.conflicts = append(r.conflicts, fmt.Sprintf("%s %s exists and is not controlled by this collector", k.kind, name))
		return nil
	}
	actualU, err := runtime.DefaultUnstructuredConverter.ToUnstructured(actual)
	if err != nil {
		return fmt.Errorf("converting %s %s: %w", k.kind, name, err)
	}
	if cl == claimOwned && matches(actualU, desiredU, hash) {
		return nil
	}
	// Build the update from fresh maps: the cached object is never mutated.
	updated := reflect.New(reflect.TypeOf(actual).Elem()).Interface().(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(merged(actualU, desiredU, hash), updated); err != nil {
		return fmt.Errorf("converting updated %s %s: %w", k.kind, name, err)
	}
	if !k.clusterScoped {
		updated.SetOwnerReferences(withController(actual.GetOwnerReferences(), *resources.OwnerReference(col)))
	}
	if k.preserve != nil {
		k.preserve(actual, updated)
	}
	logger := klog.FromContext(ctx)
	logger.V(2).Info("Updating child", "kind", k.kind, "name", name, "adopt", cl == claimAdoptable)
	if err := k.update(ctx, c, updated); err != nil {
		if apierrors.IsInvalid(err) && onlyImmutableFieldErrors(err) {
			// An immutable field changed (a binding's roleRef, a StatefulSet's serviceName): replace the object;
			// the next sync creates it anew. Any other invalid content comes from the CR: the running child stays.
			if derr := k.remove(ctx, c, actual); derr == nil {
				r.changed(ReasonDeleted, fmt.Sprintf("%s %s (to recreate it: %v)", k.kind, name, err))
				return fmt.Errorf("recreating %s %s: %w", k.kind, name, err)
			}
		}
		c.recorder.Eventf(col, "Warning", ReasonUpdateFailed, "updating %s %s: %v", k.kind, name, err)
		return fmt.Errorf("updating %s %s: %w", k.kind, name, err)
	}
	switch {
	case cl == claimAdoptable:
		r.changed(ReasonAdopted, k.kind+" "+name)
	case !covers(actualU["metadata"].(map[string]any)["labels"], desiredU["metadata"].(map[string]any)["labels"]):
		r.changed(ReasonReclaimed, k.kind+" "+name)
	default:
		r.changed(ReasonUpdated, k.kind+" "+name)
	}
	return nil
}

// withController is refs with ref as the only controller reference (kept in place when present) and every other
// owner reference kept.
func withController(refs []metav1.OwnerReference, ref metav1.OwnerReference) []metav1.OwnerReference {
	out := make([]metav1.OwnerReference, 0, len(refs)+1)
	for _, r := range refs {
		if r.UID == ref.UID || (r.Controller != nil && *r.Controller) {
			continue
		}
		out = append(out, r)
	}
	return append(out, ref)
}

// remove deletes a child, only the very object we looked at (UID precondition), in the background.
func (k *childKind[T]) remove(ctx context.Context, c *Controller, obj T) error {
	uid := obj.GetUID()
	policy := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &policy}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	err := k.delete(ctx, c, obj.GetNamespace(), obj.GetName(), opts)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s: %w", k.kind, obj.GetName(), err)
	}
	return nil
}

func (k *childKind[T]) cleanup(ctx context.Context, c *Controller, namespace, name string) error {
	if !k.clusterScoped {
		return nil
	}
	existing, err := k.list(c, namespace, instanceSelector(namespace, name))
	if err != nil {
		return fmt.Errorf("listing %ss: %w", k.kind, err)
	}
	var errs []error
	for _, a := range existing {
		// The instance label may be a truncated hash; the annotations name the collector exactly.
		if ann := a.GetAnnotations(); ann[resources.AnnotationOwnerNamespace] != "" &&
			(ann[resources.AnnotationOwnerNamespace] != namespace || ann[resources.AnnotationOwnerName] != name) {
			continue
		}
		klog.FromContext(ctx).V(2).Info("Deleting child of a deleted collector", "kind", k.kind, "name", a.GetName())
		if err := k.remove(ctx, c, a); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// onlyImmutableFieldErrors reports whether an Invalid error complains only about fields that cannot change after
// creation, the one case where deleting and recreating a child is right.
func onlyImmutableFieldErrors(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	details := status.Status().Details
	if details == nil || len(details.Causes) == 0 {
		return false
	}
	for _, cause := range details.Causes {
		if !strings.Contains(cause.Message, "field is immutable") &&
			!strings.Contains(cause.Message, "cannot change roleRef") &&
			!strings.Contains(cause.Message, "updates to statefulset spec for fields other than") {
			return false
		}
	}
	return true
}
