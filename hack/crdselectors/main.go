// Command crdselectors finishes the CRD that controller-gen writes: the Prometheus CR selectors refuse keys other
// than matchLabels and matchExpressions. The reference operator's v1alpha1 took a plain label map there
// (serviceMonitorSelector: {team: a}); the API server prunes unknown keys before validating, so such a selector
// would silently become {} and select every monitor in the cluster. Keeping unknown keys
// (x-kubernetes-preserve-unknown-fields) lets the schema see them, and an anyOf over the allowed key sets refuses
// every other key. CEL cannot do this (it does not see preserved unknown fields) and controller-gen has no anyOf
// marker, hence this step of hack/update-codegen.sh.
//
// Usage: go run ./hack/crdselectors <crd.yaml>
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdselectors <crd.yaml>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdselectors:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	versions := get(doc.Content[0], "spec", "versions")
	if versions == nil {
		return fmt.Errorf("%s: no spec.versions", path)
	}
	patched := 0
	for _, v := range versions.Content {
		props := get(v, "schema", "openAPIV3Schema", "properties", "spec", "properties", "targetAllocator",
			"properties", "prometheusCR", "properties")
		if props == nil {
			return fmt.Errorf("%s: no prometheusCR properties", path)
		}
		for i := 0; i+1 < len(props.Content); i += 2 {
			if strings.HasSuffix(props.Content[i].Value, "Selector") {
				restrictSelector(props.Content[i+1])
				patched++
			}
		}
	}
	if patched == 0 {
		return fmt.Errorf("%s: no selector found", path)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// restrictSelector makes a LabelSelector schema keep unknown keys and accept an object only when its keys are a
// subset of {matchLabels, matchExpressions}: it has at most as many keys as it has of those two. The API server
// reports the errors of the first alternative only, so the one requiring matchLabels comes first: a plain label
// map is refused with "serviceMonitorSelector.matchLabels: Required value", which says what to write.
func restrictSelector(s *yaml.Node) {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	num := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: v} }
	seq := func(n ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Content: n} }
	m := func(n ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: n} }
	alt := func(max string, required ...string) *yaml.Node {
		n := m(str("maxProperties"), num(max))
		if len(required) > 0 {
			var r []*yaml.Node
			for _, k := range required {
				r = append(r, str(k))
			}
			n.Content = append(n.Content, str("required"), seq(r...))
		}
		return n
	}
	set(s, "anyOf", seq(
		alt("1", "matchLabels"),
		alt("2", "matchExpressions", "matchLabels"),
		alt("1", "matchExpressions"),
		alt("0"),
	))
	set(s, "x-kubernetes-preserve-unknown-fields", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
}

func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}
