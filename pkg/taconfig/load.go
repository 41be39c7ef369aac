package taconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	promconfig "github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/yamlbound"
)

// Load reads and validates the configuration file at path; the environment variable OTELCOL_NAMESPACE, when set,
// overrides collector_namespace.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading target allocator config: %w", err)
	}
	return Parse(path, data, os.Getenv)
}

// Parse parses and validates configuration file content. path only names the file in errors and anchors
// relative paths inside the Prometheus configuration; getenv (nil: no environment) supplies OTELCOL_NAMESPACE
// and ALLOW_INSECURE_AUTH_SECRETS.
func Parse(path string, data []byte, getenv func(string) string) (*Config, error) {
	return ParseWith(path, data, getenv, Overrides{})
}

func parse(path string, data []byte) (*Config, error) {
	c := defaults()
	// The file holds scrape configs that came from a CR; the operator expands their aliases, but the TA does not
	// rely on that: aliases that would expand beyond the bound are refused before the Prometheus parser sees them.
	doc, err := yamlbound.Parse(data)
	if err != nil {
		return nil, err
	}
	if doc == nil || len(doc.Content) == 0 {
		return c, nil // empty file: validation reports what is missing
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the configuration must be a mapping", root.Line)
	}
	lines := strings.SplitAfter(string(data), "\n")
	return c, eachKey(root, func(key, val *yaml.Node, next int) error {
		switch key.Value {
		case "listen_addr":
			return decode(val, &c.ListenAddr)
		case "kube_config_file_path":
			return decode(val, &c.KubeConfigFilePath)
		case "collector_namespace":
			return decode(val, &c.CollectorNamespace)
		case "collector_selector":
			return decodeSelector(val, &c.CollectorSelector)
		case "config":
			pc, err := promConfig(path, key, val, lines, next)
			c.PromConfig = pc
			return err
		case "allocation_strategy":
			return decode(val, &c.AllocationStrategy)
		case "allocation_fallback_strategy":
			return decode(val, &c.AllocationFallbackStrategy)
		case "filter_strategy":
			return decode(val, &c.FilterStrategy)
		case "collector_not_ready_grace_period":
			return decode(val, &c.CollectorNotReadyGracePeriod)
		case "prometheus_cr":
			return parsePrometheusCR(val, &c.PrometheusCR)
		case "https":
			return parseHTTPS(val, &c.HTTPS)
		case "allow_insecure_auth_secrets":
			return decode(val, &c.AllowInsecureAuthSecrets)
		case "telemetry":
			return parseTelemetry(val, &c.Telemetry)
		case "handoff":
			return parseHandoff(val, &c.Handoff)
		}
		return unknownKey(key)
	})
}

func parseHandoff(n *yaml.Node, h *Handoff) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "mode":
			return decode(val, &h.Mode)
		case "margin":
			return decode(val, &h.Margin)
		case "default_refresh_interval":
			return decode(val, &h.DefaultRefreshInterval)
		case "max_hold":
			return decode(val, &h.MaxHold)
		}
		return unknownKey(key)
	})
}

func parsePrometheusCR(n *yaml.Node, p *PrometheusCR) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "enabled":
			return decode(val, &p.Enabled)
		case "scrape_interval":
			return decode(val, &p.ScrapeInterval)
		case "service_monitor_selector":
			return decodeSelector(val, &p.ServiceMonitorSelector)
		case "pod_monitor_selector":
			return decodeSelector(val, &p.PodMonitorSelector)
		case "probe_selector":
			return decodeSelector(val, &p.ProbeSelector)
		case "scrape_config_selector":
			return decodeSelector(val, &p.ScrapeConfigSelector)
		case "service_monitor_namespace_selector":
			return decodeSelector(val, &p.ServiceMonitorNamespaceSelector)
		case "pod_monitor_namespace_selector":
			return decodeSelector(val, &p.PodMonitorNamespaceSelector)
		case "probe_namespace_selector":
			return decodeSelector(val, &p.ProbeNamespaceSelector)
		case "scrape_config_namespace_selector":
			return decodeSelector(val, &p.ScrapeConfigNamespaceSelector)
		case "allow_namespaces":
			return decode(val, &p.AllowNamespaces)
		case "deny_namespaces":
			return decode(val, &p.DenyNamespaces)
		case "scrape_classes":
			return decodeScrapeClasses(val, &p.ScrapeClasses)
		case "service_discovery_role":
			return decodeServiceDiscoveryRole(val, &p.ServiceDiscoveryRole)
		case "secret_namespaces":
			return decode(val, &p.SecretNamespaces)
		case "evaluation_interval":
			return decode(val, &p.EvaluationInterval)
		case "scrape_protocols":
			return decodeScrapeProtocols(val, &p.ScrapeProtocols)
		case "deny_fs_access_through_sms":
			return decode(val, &p.DenyFSAccessThroughSMs)
		}
		return unknownKey(key)
	})
}

func parseHTTPS(n *yaml.Node, h *HTTPS) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "enabled":
			return decode(val, &h.Enabled)
		case "listen_addr":
			return decode(val, &h.ListenAddr)
		case "ca_file_path":
			return decode(val, &h.CAFilePath)
		case "tls_cert_file_path":
			return decode(val, &h.TLSCertFilePath)
		case "tls_key_file_path":
			return decode(val, &h.TLSKeyFilePath)
		}
		return unknownKey(key)
	})
}

// eachKey calls f for every entry of a mapping node, rejecting duplicates. next is the line of the following key,
// or 0 for the last entry. A null node is an empty mapping.
func eachKey(n *yaml.Node, f func(key, val *yaml.Node, next int) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: mapping keys must be strings", key.Line)
		}
		if seen[key.Value] {
			return fmt.Errorf("line %d: duplicate key %q", key.Line, key.Value)
		}
		seen[key.Value] = true
		next := 0
		if i+2 < len(n.Content) {
			next = n.Content[i+2].Line
		}
		if err := f(key, val, next); err != nil {
			return err
		}
	}
	return nil
}

func unknownKey(key *yaml.Node) error {
	return fmt.Errorf("line %d: unknown key %q", key.Line, key.Value)
}

// decode decodes a value node; yaml's errors already carry the line, add the key path context otherwise.
func decode(n *yaml.Node, out any) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return errors.New(strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// promConfig parses the embedded Prometheus configuration with Prometheus' own loader, so that scrape configs are
// validated exactly as Prometheus validates them. The loader gets the original lines of the block, preceded by as
// many empty lines as came before it, so the line numbers in its errors are those of the file.
func promConfig(path string, key, val *yaml.Node, lines []string, next int) (*promconfig.Config, error) {
	if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
		return nil, nil
	}
	var text string
	if val.Kind == yaml.MappingNode && val.Style&yaml.FlowStyle == 0 && val.Line > key.Line && len(val.Content) > 0 {
		end := len(lines)
		if next > 0 {
			end = next - 1
		}
		start := val.Content[0].Line - 1
		if start < 0 || start > end || end > len(lines) {
			return nil, fmt.Errorf("line %d: cannot locate the Prometheus configuration", val.Line)
		}
		text = strings.Repeat("\n", start) + strings.Join(lines[start:end], "")
	} else {
		out, err := yaml.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("line %d: config: %w", val.Line, err)
		}
		text = string(out)
	}
	pc, err := promconfig.Load(text, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("config (Prometheus configuration at line %d): %w", val.Line, err)
	}
	pc.SetDirectory(filepath.Dir(path))
	return pc, nil
}
