package discovery

import (
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// sdConfigs returns the discovery configs of each job for the manager. With a kubeconfig path, kubernetes SD
// configs that name neither an API server nor a kubeconfig get the path: out of cluster, the TA's own kubeconfig
// is the only way they can reach a cluster. The scrape configs themselves are not modified.
func sdConfigs(cfgs []*config.ScrapeConfig, kubeconfig string) map[string]discovery.Configs {
	out := make(map[string]discovery.Configs, len(cfgs))
	for _, c := range cfgs {
		if c == nil {
			continue
		}
		sds := c.ServiceDiscoveryConfigs
		if kubeconfig != "" {
			sds = withKubeconfig(sds, kubeconfig)
		}
		out[c.JobName] = sds
	}
	return out
}

func withKubeconfig(sds discovery.Configs, path string) discovery.Configs {
	var out discovery.Configs
	for i, sd := range sds {
		k, ok := sd.(*kubernetes.SDConfig)
		if !ok || k.KubeConfig != "" || k.APIServer.URL != nil {
			continue
		}
		if out == nil {
			out = append(discovery.Configs(nil), sds...)
		}
		cp := *k
		cp.KubeConfig = path
		out[i] = &cp
	}
	if out == nil {
		return sds
	}
	return out
}
