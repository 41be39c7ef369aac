package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCovers(t *testing.T) {
	tests := []struct {
		name            string
		actual, desired any
		want            bool
	}{
		{name: "equal scalars", actual: "a", desired: "a", want: true},
		{name: "different scalars", actual: "a", desired: "b"},
		{name: "server default ignored", actual: map[string]any{"a": int64(1), "defaulted": "x"}, desired: map[string]any{"a": int64(1)}, want: true},
		{name: "field we set was changed", actual: map[string]any{"a": int64(2)}, desired: map[string]any{"a": int64(1)}},
		{name: "field we set was removed", actual: map[string]any{}, desired: map[string]any{"a": int64(1)}},
		{name: "nil desired: no opinion", actual: "anything", desired: nil, want: true},
		{name: "empty string desired matches absent", actual: nil, desired: "", want: true},
		{name: "false desired matches absent", actual: nil, desired: false, want: true},
		{name: "zero number desired must be present", actual: nil, desired: int64(0)},
		{name: "empty map desired matches absent", actual: nil, desired: map[string]any{}, want: true},
		{name: "list elements covered", actual: []any{map[string]any{"name": "c", "terminationMessagePath": "/dev/termination-log"}}, desired: []any{map[string]any{"name": "c"}}, want: true},
		{name: "hand-added list element", actual: []any{"a", "b"}, desired: []any{"a"}},
		{name: "list element removed", actual: []any{"a"}, desired: []any{"a", "b"}},
		{name: "empty list desired matches absent", actual: nil, desired: []any{}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := covers(tt.actual, tt.desired); got != tt.want {
				t.Errorf("covers(%v, %v) = %v, want %v", tt.actual, tt.desired, got, tt.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	desired := map[string]any{
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"l": "1"}},
		"data":     map[string]any{"k": "v"},
	}
	actual := func(hash string, mutate func(map[string]any)) map[string]any {
		a := map[string]any{
			"metadata": map[string]any{
				"name": "x", "resourceVersion": "7",
				"labels":      map[string]any{"l": "1", "other": "kept"},
				"annotations": map[string]any{DesiredHashAnnotation: hash, "other": "kept"},
			},
			"data": map[string]any{"k": "v"},
		}
		if mutate != nil {
			mutate(a)
		}
		return a
	}
	tests := []struct {
		name   string
		actual map[string]any
		want   bool
	}{
		{name: "same", actual: actual("h", nil), want: true},
		{name: "spec changed since (hash)", actual: actual("old", nil)},
		{name: "our label edited", actual: actual("h", func(a map[string]any) { a["metadata"].(map[string]any)["labels"] = map[string]any{"l": "2"} })},
		{name: "content edited", actual: actual("h", func(a map[string]any) { a["data"] = map[string]any{"k": "edited"} })},
		{name: "content key added by hand is not ours", actual: actual("h", func(a map[string]any) { a["binaryData"] = map[string]any{"b": "x"} }), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(tt.actual, desired, "h"); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMerged(t *testing.T) {
	actual := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": "x", "resourceVersion": "7", "ownerReferences": []any{"ref"},
			"labels":      map[string]any{"l": "old", "other": "kept"},
			"annotations": map[string]any{"other": "kept"},
		},
		"data":       map[string]any{"k": "edited", "extra": "gone"},
		"binaryData": map[string]any{"b": "gone"},
	}
	desired := map[string]any{
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"l": "1"}},
		"data":     map[string]any{"k": "v"},
	}
	want := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{
			"name": "x", "resourceVersion": "7", "ownerReferences": []any{"ref"},
			"labels":      map[string]any{"l": "1", "other": "kept"},
			"annotations": map[string]any{"other": "kept", DesiredHashAnnotation: "h"},
		},
		"data": map[string]any{"k": "v"},
	}
	if diff := cmp.Diff(want, merged(actual, desired, "h")); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if actual["data"].(map[string]any)["k"] != "edited" {
		t.Error("merged modified its input")
	}
}
