package promcrwatch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

// watchReferenced sets up the sources of Secrets and ConfigMaps that monitors reference: per namespace when
// Options.Scoped is set, else the cluster-wide Secrets and ConfigMaps informers.
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
	secrets := make(map[string]promcr.SecretGetter, len(opts.Scoped))
	configMaps := make(map[string]promcr.ConfigMapGetter, len(opts.Scoped))
	namespaces := make([]string, 0, len(opts.Scoped))
	for ns, core := range opts.Scoped {
		namespaces = append(namespaces, ns)
		s, cm := core.Secrets(), core.ConfigMaps()
		if err := w.watch("Secret in "+ns, s.Informer()); err != nil {
			return err
		}
		if err := w.watch("ConfigMap in "+ns, cm.Informer()); err != nil {
			return err
		}
		secrets[ns] = secretGetter(s.Lister())
		configMaps[ns] = configMapGetter(cm.Lister())
	}
	slices.Sort(namespaces)
	allowed := strings.Join(namespaces, ", ")
	w.genOptions.Secrets = func(namespace, name, key string) (string, error) {
		get, ok := secrets[namespace]
		if !ok {
			return "", outsideScope(namespace, allowed)
		}
		return get(namespace, name, key)
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
