package promcrwatch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

// watchReferenced sets up the sources of Secrets and ConfigMaps that monitors reference: per namespace when
// Options.Scoped is set (Secrets by metadata, values read when referenced), else the cluster-wide Secrets and
// ConfigMaps informers.
func (w *Watcher) watchReferenced() error {
	opts := w.opts
	if len(opts.Scoped) == 0 {
		if err := w.watch("Secret", opts.Secrets.Informer()); err != nil {
			return err
		}
		w.genOptions.Secrets = secretGetter(opts.Secrets.Lister())
		if opts.ConfigMaps != nil {
			if err := w.watch("ConfigMap", opts.ConfigMaps.Informer()); err != nil {
				return err
			}
			w.genOptions.ConfigMaps = configMapGetter(opts.ConfigMaps.Lister())
		}
		return nil
	}
	secrets := make(map[string]*referencedSecrets, len(opts.Scoped))
	configMaps := make(map[string]promcr.ConfigMapGetter, len(opts.Scoped))
	namespaces := make([]string, 0, len(opts.Scoped))
	for ns, src := range opts.Scoped {
		if src.SecretMetadata == nil || src.GetSecret == nil || src.ConfigMaps == nil {
			return fmt.Errorf("promcrwatch: scoped namespace %q needs SecretMetadata, GetSecret and ConfigMaps", ns)
		}
		namespaces = append(namespaces, ns)
		if err := w.watch("Secret metadata in "+ns, src.SecretMetadata); err != nil {
			return err
		}
		if err := w.watch("ConfigMap in "+ns, src.ConfigMaps.Informer()); err != nil {
			return err
		}
		secrets[ns] = newReferencedSecrets(ns, src)
		configMaps[ns] = configMapGetter(src.ConfigMaps.Lister())
	}
	w.referenced = secrets
	slices.Sort(namespaces)
	allowed := strings.Join(namespaces, ", ")
	w.genOptions.Secrets = func(namespace, name, key string) (string, error) {
		r, ok := secrets[namespace]
		if !ok {
			return "", outsideScope(namespace, allowed)
		}
		return r.value(name, key)
	}
	w.genOptions.ConfigMaps = func(namespace, name, key string) (string, error) {
		get, ok := configMaps[namespace]
		if !ok {
			return "", outsideScope(namespace, allowed)
		}
		return get(namespace, name, key)
	}
	return nil
}

func outsideScope(namespace, allowed string) error {
	return fmt.Errorf("the target allocator reads Secrets and ConfigMaps only in %s (the collector's namespace and prometheus_cr.secret_namespaces), not in %q", allowed, namespace)
}
