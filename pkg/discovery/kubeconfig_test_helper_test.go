package discovery

import (
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
)

func kubeconfigOf(c discovery.Config) string {
	if k, ok := c.(*kubernetes.SDConfig); ok {
		return k.KubeConfig
	}
	return "-"
}
