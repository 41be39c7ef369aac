package main

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// loadConfig reads the config file; with --enable-prometheus-cr-watcher it loads it as if it said
// prometheus_cr.enabled: true. That has to happen before validation, which refuses a file with neither scrape
// configs nor prometheus_cr enabled, and the reference's operator ran the TA exactly so (flag, no jobs in the file).
func loadConfig(path string, enablePrometheusCR bool) (*taconfig.Config, error) {
	if !enablePrometheusCR {
		return taconfig.Load(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading target allocator config: %w", err)
	}
	data, err = withPrometheusCREnabled(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return taconfig.Parse(path, data, os.Getenv)
}

// withPrometheusCREnabled sets prometheus_cr.enabled to true in a config file's YAML, keeping the rest of the
// document. Lines keep their numbers except after an added key, so errors still point close to their place.
func withPrometheusCREnabled(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	enabled := []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "enabled"},
		{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the configuration must be a mapping", root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "prometheus_cr" {
			continue
		}
		pcr := root.Content[i+1]
		if pcr.Kind != yaml.MappingNode {
			// null or {}: becomes a mapping holding only enabled; anything else is reported by validation.
			if pcr.Kind == yaml.ScalarNode && pcr.Tag == "!!null" {
				root.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: enabled}
				return yaml.Marshal(&doc)
			}
			return data, nil
		}
		for k := 0; k+1 < len(pcr.Content); k += 2 {
			if pcr.Content[k].Value == "enabled" {
				pcr.Content[k+1] = enabled[1]
				return yaml.Marshal(&doc)
			}
		}
		pcr.Content = append(pcr.Content, enabled...)
		return yaml.Marshal(&doc)
	}
	root.Content = append(root.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "prometheus_cr"},
		&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: enabled})
	return yaml.Marshal(&doc)
}
