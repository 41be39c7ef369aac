package resources

import (
	"net"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// healthCheck is where the collector's health_check extension answers.
type healthCheck struct {
	port int32
	path string
}

// healthCheckEndpoint finds the health_check extension (health_check or health_check/<name>) that the config's
// service.extensions enables, the first in name order, and returns its port and path, from which the collector's
// liveness and readiness probes are made (as the reference operator does).
//
// Only an endpoint that the kubelet can reach gives probes: the kubelet probes the pod IP, so an extension with no
// endpoint (current collectors then listen on localhost:13133) or one bound to a loopback address would fail every
// probe and the liveness probe would restart a healthy collector for ever. Such configs get no probes.
func healthCheckEndpoint(config string) (healthCheck, bool) {
	var doc struct {
		Extensions map[string]map[string]any `json:"extensions"`
		Service    struct {
			Extensions []string `json:"extensions"`
		} `json:"service"`
	}
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		return healthCheck{}, false
	}
	enabled := slices.Clone(doc.Service.Extensions)
	slices.Sort(enabled)
	for _, name := range enabled {
		if typ, _, _ := strings.Cut(name, "/"); typ != "health_check" {
			continue
		}
		cfg := doc.Extensions[name]
		endpoint, _ := cfg["endpoint"].(string)
		port, ok := endpointPort(hostPlaceholderFree(endpoint))
		if !ok || loopback(endpoint) {
			return healthCheck{}, false
		}
		path, _ := cfg["path"].(string)
		if path == "" || !strings.HasPrefix(path, "/") {
			path = "/"
		}
		return healthCheck{port: port, path: path}, true
	}
	return healthCheck{}, false
}

// hostPlaceholderFree replaces an environment reference in the host part (such as ${env:POD_IP}:13133, which
// the collector expands) so the endpoint parses as host:port.
func hostPlaceholderFree(endpoint string) string {
	i := strings.LastIndex(endpoint, ":")
	if i < 0 || !strings.Contains(endpoint[:i], "${") {
		return endpoint
	}
	return "pod-ip" + endpoint[i:]
}

// loopback tells whether a host:port endpoint binds only a loopback address.
func loopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(hostPlaceholderFree(endpoint))
	if err != nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
