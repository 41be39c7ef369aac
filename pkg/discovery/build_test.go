package discovery

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// TestGroupLabelsNameCache: remembered name lists are used only for groups with exactly those names.
func TestGroupLabelsNameCache(t *testing.T) {
	b := newBuilder()
	sets := []model.LabelSet{
		{"b": "2", "a": "1", "c": ""},
		{"b": "x", "a": "y", "c": "z"}, // same names: read through the remembered list
		{"b": "x", "a": "y", "d": "z"}, // same length, other names
		{"a": "1"},                     // shorter
		{"a": "1", "b": "2", "c": "3", "e": "4"},
		{"e": "1", "f": "2", "g": "3", "h": "4"}, // same length as a remembered list, disjoint names
		{"b": "", "a": "", "c": ""},
	}
	for _, round := range []int{1, 2} {
		for _, ls := range sets {
			var want []labels.Label
			labels.FromMap(toMap(ls)).Range(func(l labels.Label) { want = append(want, l) })
			got := append([]labels.Label(nil), b.groupLabels(ls)...)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("round %d, %v (-want +got):\n%s", round, ls, d)
			}
		}
	}
}

func toMap(ls model.LabelSet) map[string]string {
	m := map[string]string{}
	for k, v := range ls {
		if v != "" {
			m[string(k)] = string(v)
		}
	}
	return m
}
