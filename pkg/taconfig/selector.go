package taconfig

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// decodeSelector decodes a metav1.LabelSelector. Both the Kubernetes spelling (matchLabels, matchExpressions) and
// the lowercase one are accepted: the reference TA decodes selectors with a YAML library that lowercases field
// names, so existing files use either.
func decodeSelector(n *yaml.Node, out **metav1.LabelSelector) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*out = nil
		return nil
	}
	sel := &metav1.LabelSelector{}
	err := eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "matchLabels", "matchlabels":
			return decode(val, &sel.MatchLabels)
		case "matchExpressions", "matchexpressions":
			if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
				return nil
			}
			if val.Kind != yaml.SequenceNode {
				return fmt.Errorf("line %d: %s must be a list", val.Line, key.Value)
			}
			for _, e := range val.Content {
				var r metav1.LabelSelectorRequirement
				err := eachKey(e, func(k, v *yaml.Node, _ int) error {
					switch k.Value {
					case "key":
						return decode(v, &r.Key)
					case "operator":
						var op string
						err := decode(v, &op)
						r.Operator = metav1.LabelSelectorOperator(op)
						return err
					case "values":
						return decode(v, &r.Values)
					}
					return unknownKey(k)
				})
				if err != nil {
					return err
				}
				sel.MatchExpressions = append(sel.MatchExpressions, r)
			}
			return nil
		}
		return unknownKey(key)
	})
	if err != nil {
		return err
	}
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		return fmt.Errorf("line %d: invalid label selector: %w", n.Line, err)
	}
	*out = sel
	return nil
}
