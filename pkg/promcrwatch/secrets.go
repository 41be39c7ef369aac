package promcrwatch

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// ScopedNamespace holds the sources of one namespace whose Secrets and ConfigMaps monitors may reference.
//
// Secrets are watched by metadata only and read one by one when a selected monitor references them, so the TA
// holds in memory no value of a Secret that no monitor uses (a namespace's other Secrets: service-account tokens,
// TLS keys, database passwords) and learns of a change to a referenced one without caching its neighbours.
type ScopedNamespace struct {
	// SecretMetadata is an informer over the metadata of the namespace's Secrets (k8s.io/client-go's
	// metadatainformer; objects are *metav1.PartialObjectMetadata). The caller starts it.
	SecretMetadata cache.SharedIndexInformer
	// GetSecret reads one Secret of the namespace.
	GetSecret func(ctx context.Context, name string) (*corev1.Secret, error)
	// ConfigMaps is the namespace's ConfigMap informer (ConfigMaps hold no credentials; CA bundles at most).
	ConfigMaps coreinformers.ConfigMapInformer
}

// secretGetTimeout bounds one read of a referenced Secret during a recomputation.
const secretGetTimeout = 10 * time.Second

// referencedSecrets reads the Secrets that monitors reference, once per resourceVersion, and forgets those no
// longer referenced after each recomputation (sweep).
type referencedSecrets struct {
	namespace string
	meta      cache.Store
	get       func(ctx context.Context, name string) (*corev1.Secret, error)

	mu     sync.Mutex
	values map[string]fetchedSecret // by name
	used   map[string]bool          // names read since the last sweep
	reads  int                      // API reads, for tests and the debug log
}

type fetchedSecret struct {
	resourceVersion string
	data            map[string][]byte
}

func newReferencedSecrets(namespace string, src ScopedNamespace) *referencedSecrets {
	return &referencedSecrets{
		namespace: namespace, meta: src.SecretMetadata.GetStore(), get: src.GetSecret,
		values: map[string]fetchedSecret{}, used: map[string]bool{},
	}
}

// value returns the value under key of Secret name. The metadata cache decides whether the Secret exists and
// which version is current; the value is read from the API only when that version was not read before.
func (r *referencedSecrets) value(name, key string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	obj, exists, err := r.meta.GetByKey(r.namespace + "/" + name)
	if err != nil {
		return "", err
	}
	if !exists {
		delete(r.values, name)
		return "", apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return "", fmt.Errorf("secret metadata of %s/%s has type %T", r.namespace, name, obj)
	}
	r.used[name] = true
	f, ok := r.values[name]
	if !ok || f.resourceVersion != m.GetResourceVersion() {
		ctx, cancel := context.WithTimeout(context.Background(), secretGetTimeout)
		defer cancel()
		r.reads++
		s, err := r.get(ctx, name)
		if err != nil {
			delete(r.values, name)
			return "", err
		}
		// Keyed by the version the metadata cache announced: a Secret read after a newer write is read again
		// when that write's event arrives, which is at most one extra read.
		f = fetchedSecret{resourceVersion: m.GetResourceVersion(), data: s.Data}
		r.values[name] = f
	}
	v, ok := f.data[key]
	if !ok {
		return "", errNoKey
	}
	return string(v), nil
}

// sweep forgets the values of Secrets that the last recomputation did not read.
func (r *referencedSecrets) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.values {
		if !r.used[name] {
			delete(r.values, name)
		}
	}
	clear(r.used)
}

// held lists the names whose values are in memory, for tests.
func (r *referencedSecrets) held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.values))
	for n := range r.values {
		out = append(out, n)
	}
	return out
}
