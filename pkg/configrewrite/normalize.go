package configrewrite

import "go.yaml.in/yaml/v3"

// maxExpandedNodes bounds alias expansion, so that a "billion laughs" document or an alias
// cycle ends in an error instead of eating the operator's memory.
const maxExpandedNodes = 1 << 18

// normalize replaces aliases with copies of their anchored nodes and flattens merge keys
// (`<<`), everywhere in the document, but only when the document uses them.
//
// Why: the rewrite removes and edits nodes inside scrape configs. With anchors, an edited
// node may be shared with another part of the config, and a removed anchor would leave an
// alias pointing nowhere (invalid YAML). A merge key could also hide a static_configs from
// the rewrite. Expanding them gives a tree where every node has one parent and every key is
// visible; the collector reads the same values either way, since it resolves both itself.
func normalize(doc *yaml.Node) error {
	if !usesAnchorsOrMerges(doc) {
		return nil
	}
	budget := maxExpandedNodes
	expanded, err := expand(doc, &budget, 0)
	if err != nil {
		return err
	}
	*doc = *expanded
	return nil
}

func usesAnchorsOrMerges(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || isMergeKey(n) {
		return true
	}
	for _, c := range n.Content {
		if usesAnchorsOrMerges(c) {
			return true
		}
	}
	return false
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "!!merge" || n.Tag == "tag:yaml.org,2002:merge")
}

// expand returns a copy of n without aliases, anchors or merge keys. depth guards against
// alias cycles (an anchor used inside its own node).
func expand(n *yaml.Node, budget *int, depth int) (*yaml.Node, error) {
	*budget--
	if *budget < 0 || depth > 1000 {
		return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: aliases expand to too large a document (line %d)", n.Line)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: unknown alias %q (line %d)", n.Value, n.Line)
		}
		c, err := expand(n.Alias, budget, depth+1)
		if err != nil {
			return nil, err
		}
		// The alias's own comments belong to this place in the document.
		if n.HeadComment != "" {
			c.HeadComment = n.HeadComment
		}
		if n.LineComment != "" {
			c.LineComment = n.LineComment
		}
		if n.FootComment != "" {
			c.FootComment = n.FootComment
		}
		return c, nil
	}
	c := *n
	c.Anchor = ""
	c.Alias = nil
	c.Content = nil
	for _, child := range n.Content {
		e, err := expand(child, budget, depth+1)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, e)
	}
	if c.Kind == yaml.MappingNode {
		return flattenMerges(&c)
	}
	return &c, nil
}

// flattenMerges puts the keys of merged mappings in place of their `<<` key, with YAML's
// precedence: explicit keys win, then earlier merged mappings over later ones. Children are
// already expanded, so merged mappings have no merge keys of their own.
func flattenMerges(m *yaml.Node) (*yaml.Node, error) {
	explicit := map[string]bool{}
	hasMerge := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if isMergeKey(m.Content[i]) {
			hasMerge = true
		} else if m.Content[i].Kind == yaml.ScalarNode {
			explicit[m.Content[i].Value] = true
		}
	}
	if !hasMerge {
		return m, nil
	}
	taken := explicit
	var out []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !isMergeKey(k) {
			out = append(out, k, v)
			continue
		}
		var sources []*yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{v}
		case yaml.SequenceNode:
			sources = v.Content
		}
		if len(sources) == 0 && !(v.Kind == yaml.SequenceNode) {
			return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: line %d: map merge requires a map or a sequence of maps", k.Line)
		}
		for _, s := range sources {
			if s.Kind != yaml.MappingNode {
				return nil, errorf(KindInvalidYAML, "collector config is not valid YAML: line %d: map merge requires a map or a sequence of maps", k.Line)
			}
			for j := 0; j+1 < len(s.Content); j += 2 {
				sk := s.Content[j]
				if sk.Kind == yaml.ScalarNode {
					if taken[sk.Value] {
						continue
					}
					taken[sk.Value] = true
				}
				out = append(out, sk, s.Content[j+1])
			}
		}
	}
	m.Content = out
	return m, nil
}
