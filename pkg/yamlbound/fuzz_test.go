package yamlbound

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse checks the measure against the obvious oracle, the size of the document actually expanded (with a
// cap, so the oracle itself stays bounded): Parse refuses a document as too large exactly when its expansion
// passes the limit, and never refuses one without aliases. The small limit makes both sides reachable.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a: 1\n",
		"a: &a [1, 2, 3]\nb: [*a, *a, *a, *a]\n",
		"a: &a [x, *a]\n",
		"a: &a {k: v}\nb: {<<: *a, c: d}\n",
		"a: &a \"long string value here\"\nb: [*a, *a, *a, *a, *a, *a, *a, *a]\n",
		"a: 1\n---\nb: 2\n",
	} {
		f.Add([]byte(s))
	}
	const limit = 2000
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := parse(data, limit)
		effective := max(int64(limit), textFactor*int64(len(data)))
		var md *MultipleDocumentsError
		switch {
		case err == nil:
			if doc == nil {
				return
			}
			if n, inf := expandedSize(doc, effective); inf || n > effective {
				t.Fatalf("accepted a document that expands to %d bytes (cycle %v), limit %d", n, inf, effective)
			}
		case errors.Is(err, ErrTooLarge):
			var strict yaml.Node
			if yaml.Unmarshal(data, &strict) != nil {
				t.Fatalf("refused as too large a text that does not parse: %v", err)
			}
			if !hasAlias(&strict) {
				t.Fatalf("refused a document without aliases: %v", err)
			}
			if n, inf := expandedSize(&strict, effective); !inf && n <= effective {
				t.Fatalf("refused (%v) a document that expands to %d bytes, limit %d", err, n, effective)
			}
		case errors.As(err, &md):
		default:
			// A syntax error from yaml.v3: fine, as long as it is an error and not a panic.
		}
	})
}

// expandedSize expands n for real (following each alias every time), stopping past limit. inf reports a cycle.
func expandedSize(n *yaml.Node, limit int64) (size int64, inf bool) {
	open := map[*yaml.Node]bool{}
	var walk func(*yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n == nil || size > limit {
			return false
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				size += nodeOverhead
				return false
			}
			return walk(n.Alias)
		}
		if open[n] {
			return true
		}
		open[n] = true
		defer delete(open, n)
		size += int64(nodeOverhead + len(n.Value))
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	inf = walk(n)
	return size, inf
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}
