package configrewrite

import (
	"bytes"
	"errors"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/yamlbound"
)

// parseDocument parses the collector config into a yaml.v3 document node, the only form
// that keeps the user's key order and comments. It returns nil for an empty document.
func parseDocument(config string) (*yaml.Node, error) {
	// yamlbound refuses a text whose aliases would expand beyond what a ConfigMap holds before anything here
	// (normalize, or the Decode below) expands them.
	doc, err := yamlbound.Parse([]byte(config))
	if err != nil {
		var multi *yamlbound.MultipleDocumentsError
		if errors.As(err, &multi) {
			// The collector reads one document; a second one would be silently dropped by us and by it, so
			// say so instead.
			return nil, errorf(KindInvalidYAML, "collector config has more than one YAML document (the second starts at line %d)", multi.Line)
		}
		return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: %w", err)
	}
	if doc == nil {
		return nil, nil
	}
	// Decoding to plain values applies the checks the collector's own decoding will apply
	// (duplicate keys, bad merges, runaway aliases), so such a config fails here, with its line.
	var values any
	if err := doc.Decode(&values); err != nil {
		return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: %w", err)
	}
	if err := normalize(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// encode writes a node as YAML with the two-space indentation of the seed's examples.
func encode(n *yaml.Node) (string, error) {
	spellFlowNulls(n, false)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return "", errorf(KindInvalidConfig, "cannot write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", errorf(KindInvalidConfig, "cannot write YAML: %w", err)
	}
	return buf.String(), nil
}

// stableEncode encodes doc and then re-reads and re-writes the text until it no longer
// changes. yaml.v3 does not always read its own comments back onto the same nodes (a foot
// comment after a nested block may come back one level deeper), so a single encoding is not
// always a fixed point; the operator compares configs by their text, and rewriting a
// rewritten config must give the same text.
func stableEncode(doc *yaml.Node) (string, error) {
	text, err := encode(doc)
	for i := 0; err == nil && i < 4; i++ {
		var again yaml.Node
		if yaml.Unmarshal([]byte(text), &again) != nil {
			break
		}
		next, encErr := encode(&again)
		if encErr != nil || next == text {
			break
		}
		text = next
	}
	return text, err
}

// spellFlowNulls writes empty nulls inside flow collections as "null": yaml.v3 would write
// `{debug}` back with an empty quoted string instead of null, which changes the meaning.
func spellFlowNulls(n *yaml.Node, flow bool) {
	if n.Kind == yaml.ScalarNode && flow && n.Value == "" && n.ShortTag() == "!!null" {
		n.Value = "null"
	}
	flow = flow || (n.Style&yaml.FlowStyle != 0 && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode))
	for _, c := range n.Content {
		spellFlowNulls(c, flow)
	}
}

// lookup returns the value of key in mapping m, or nil when absent. A key given twice is an
// error: the collector rejects it too, and we must not guess which one counts.
func lookup(m *yaml.Node, key, where string) (*yaml.Node, error) {
	var foundKey, found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value != key {
			continue
		}
		if found != nil {
			return nil, errorf(KindInvalidConfig, "%s: key %q is given twice (lines %d and %d)", where, key, foundKey.Line, k.Line)
		}
		foundKey, found = k, m.Content[i+1]
	}
	return found, nil
}

// isNull reports whether n is an absent or empty value (`key:` or `key: null`).
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// scalar builds a plain string scalar.
func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// mapping builds a block mapping from alternating key and value nodes.
func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

// sequence builds a block sequence.
func sequence(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// deepCopy copies a tree so that the TA copy can be changed without touching the collector
// copy. Line numbers are kept: they point error messages back at the user's text.
func deepCopy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			c.Content[i] = deepCopy(child)
		}
	}
	return &c
}

// unescapeDollars turns `$$` into `$` in every string value of the tree, which is what the
// collector does to its whole config before the prometheus receiver sees it. Keys are left
// alone: the collector expands values only. A bare `$1` has no `$$` and stays.
func unescapeDollars(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" && strings.Contains(n.Value, "$$") {
			n.Value = strings.ReplaceAll(n.Value, "$$", "$")
			// Pin the tag so the encoder quotes the value if it no longer reads as a string.
			n.Tag = "!!str"
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			unescapeDollars(n.Content[i])
		}
	default:
		for _, c := range n.Content {
			unescapeDollars(c)
		}
	}
}
