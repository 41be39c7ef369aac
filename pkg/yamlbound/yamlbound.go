// Package yamlbound parses YAML that a tenant wrote (an OpenTelemetryCollector's spec.config) with a bound on
// what aliases can make of it.
//
// YAML aliases let a small text stand for a huge document: a 70 KB config whose anchors nest ten aliases four
// deep over a 64 KB string reads as 640 MB, and any decoder that builds Go values (or JSON, as sigs.k8s.io/yaml
// does) allocates it. The decoders' own guards count alias nodes against decoded nodes, so one long scalar
// aliased many times passes them. This package measures the document as it would read with every alias
// expanded, in bytes, without expanding anything, and refuses it above a limit before any decoder sees it.
//
// Every parse of CR input goes through Parse (a yaml.v3 node tree, for code that keeps comments and key order)
// or Unmarshal (Kubernetes-style decoding into Go types through JSON tags).
package yamlbound

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// MaxExpandedBytes is the largest a document may read as, aliases expanded (or textFactor times its text,
// when that is larger: a document without aliases is never refused). A ConfigMap holds 1 MiB, and the
// operator writes a collector config whose anchors it had to expand into one, so a config that expands beyond
// that could never be written anyway.
const MaxExpandedBytes = 1 << 20

// nodeOverhead is what each node adds to the measure besides its scalar text: the indicators, separators and
// line break that writing it takes, and, more to the point, the memory a decoder spends on it. Without it a
// sequence of a million empty scalars would measure nothing.
const nodeOverhead = 4

// textFactor bounds the measure of a text without aliases: every node takes at least one byte of text and its
// scalar value is no longer than its text, so such a text measures at most (nodeOverhead+1) times its length.
const textFactor = nodeOverhead + 1

// ErrTooLarge is returned (wrapped in an *ExpansionError) for a document whose aliases expand it beyond the
// limit.
var ErrTooLarge = errors.New("aliases expand the YAML document beyond the limit")

// ExpansionError says where a document grew too large or where an alias refers to a node that contains it.
type ExpansionError struct {
	// Line is the line of the alias at which the limit was passed (1-based; 0 when unknown).
	Line int
	// Limit is the limit that was passed, in bytes; 0 for an alias cycle.
	Limit int64
	// Cycle is set when an alias refers to a node that contains it, which no limit could make finite.
	Cycle bool
}

func (e *ExpansionError) Error() string {
	if e.Cycle {
		return fmt.Sprintf("line %d: alias refers to a node that contains it, which expands without end", e.Line)
	}
	return fmt.Sprintf("line %d: aliases expand the document beyond %d bytes", e.Line, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true for both kinds: either way the document is too large to expand.
func (e *ExpansionError) Is(target error) bool { return target == ErrTooLarge }

// MultipleDocumentsError is returned for text with more than one YAML document: a collector reads only the
// first, so anything after it would be silently ignored by it and by us.
type MultipleDocumentsError struct {
	// Line is where the second document starts.
	Line int
}

func (e *MultipleDocumentsError) Error() string {
	return fmt.Sprintf("more than one YAML document (the second starts at line %d)", e.Line)
}

// Parse parses data as one YAML document into a yaml.v3 document node, or returns nil for an empty text. It
// refuses a second document (*MultipleDocumentsError) and a document whose aliases expand it beyond
// MaxExpandedBytes (an *ExpansionError matching ErrTooLarge). The node tree itself keeps aliases as pointers,
// so parsing costs memory in proportion to the text, whatever its aliases.
func Parse(data []byte) (*yaml.Node, error) {
	return parse(data, MaxExpandedBytes)
}

func parse(data []byte, limit int64) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, &MultipleDocumentsError{Line: next.Line}
	}
	// A text without aliases measures at most textFactor times its length; it is bounded by the text itself (the
	// CRD limits spec.config), so only what aliases add beyond that is refused.
	limit = max(limit, textFactor*int64(len(data)))
	if err := checkExpandedSize(&doc, limit); err != nil {
		return nil, err
	}
	return &doc, nil
}

// Unmarshal decodes one YAML document into v the way sigs.k8s.io/yaml does (through JSON, so JSON tags and
// json.Unmarshaler apply), after Parse's checks. An empty text leaves v as it is.
func Unmarshal(data []byte, v any) error {
	doc, err := Parse(data)
	if err != nil || doc == nil {
		return err
	}
	// Parse bounded what the aliases expand to, so the conversion to JSON that sigs.k8s.io/yaml makes is
	// bounded too. It parses the text a second time; a CR's config is small and this keeps the Kubernetes
	// conventions (JSON tags, YAML 1.1 booleans as the API server's own decoding reads them) in one place.
	return sigsyaml.Unmarshal(data, v)
}

// checkExpandedSize measures the document as if every alias were replaced by a copy of its anchored node, and
// fails as soon as the measure passes limit. Anchored nodes are measured once and remembered, so the walk
// costs time and memory in proportion to the text, not to the expansion.
func checkExpandedSize(doc *yaml.Node, limit int64) error {
	s := sizer{limit: limit, anchored: map[*yaml.Node]int64{}, open: map[*yaml.Node]bool{}}
	_, err := s.size(doc, 0)
	return err
}

type sizer struct {
	limit int64
	// anchored holds the measure of each anchored node already measured.
	anchored map[*yaml.Node]int64
	// open holds the anchored nodes being measured: an alias to one of them is a cycle.
	open map[*yaml.Node]bool
}

// size returns n's expanded measure. line is the line of the alias that led here, for the error message.
func (s *sizer) size(n *yaml.Node, line int) (int64, error) {
	if n == nil {
		return 0, nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nodeOverhead, nil // yaml.v3 refuses unknown aliases while parsing; nothing to expand
		}
		return s.size(n.Alias, n.Line)
	}
	if n.Anchor != "" {
		if v, ok := s.anchored[n]; ok {
			return v, nil
		}
		if s.open[n] {
			return 0, &ExpansionError{Line: line, Cycle: true}
		}
		s.open[n] = true
		defer delete(s.open, n)
	}
	total := int64(nodeOverhead + len(n.Value))
	for _, c := range n.Content {
		at := line
		if c.Kind == yaml.AliasNode {
			at = c.Line
		}
		v, err := s.size(c, at)
		if err != nil {
			return 0, err
		}
		// Each term is at most limit, so the sum cannot overflow before this check stops it.
		total += v
		if total > s.limit {
			if at == 0 {
				at = c.Line
			}
			return 0, &ExpansionError{Line: at, Limit: s.limit}
		}
	}
	if total > s.limit {
		return 0, &ExpansionError{Line: n.Line, Limit: s.limit}
	}
	if n.Anchor != "" {
		s.anchored[n] = total
	}
	return total, nil
}
