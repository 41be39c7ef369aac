package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

// DesiredHashAnnotation records on each child the hash of what the operator last wanted it to be. A changed hash
// means the CR changed (including fields it no longer sets, which a comparison of set fields cannot see); an
// unchanged hash with differing owned fields means someone edited the child.
const DesiredHashAnnotation = "opentelemetry-operator/desired-sha256"

// topLevelKeys that are not content: metadata is compared field by field, status belongs to other controllers.
var notContent = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "status": true}

func desiredHash(obj runtime.Object) (string, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("hashing desired object: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// matches tells whether actual still carries everything the operator owns in desired: the desired hash, every
// label and annotation it sets, and every field it sets in the content (spec, data, rules, ...). Fields the API
// server or other controllers add (defaults, allocated IPs, status, extra annotations) are not ours and are
// ignored, so a resync of an unchanged child makes no write.
func matches(actual, desired map[string]any, hash string) bool {
	am, _ := actual["metadata"].(map[string]any)
	dm, _ := desired["metadata"].(map[string]any)
	annotations, _ := am["annotations"].(map[string]any)
	if annotations[DesiredHashAnnotation] != hash {
		return false
	}
	if !covers(am["labels"], dm["labels"]) || !covers(am["annotations"], dm["annotations"]) {
		return false
	}
	for k, dv := range desired {
		if notContent[k] {
			continue
		}
		if !covers(actual[k], dv) {
			return false
		}
	}
	return true
}

// covers tells whether actual holds every value set in desired. Maps may hold more keys; lists must have the same
// length with each element covered (a hand-added container or port is a difference); empty values in desired
// express no opinion.
func covers(actual, desired any) bool {
	switch d := desired.(type) {
	case nil:
		return true
	case map[string]any:
		a, _ := actual.(map[string]any)
		for k, dv := range d {
			if !covers(a[k], dv) {
				return false
			}
		}
		return true
	case []any:
		a, _ := actual.([]any)
		if len(a) != len(d) {
			return false
		}
		for i := range d {
			if !covers(a[i], d[i]) {
				return false
			}
		}
		return true
	case string:
		if d == "" && actual == nil {
			return true
		}
		return actual == d
	case bool:
		if !d && actual == nil {
			return true
		}
		return actual == d
	default:
		return reflect.DeepEqual(actual, desired)
	}
}

// merged is actual with the operator's fields replaced by desired: the content is taken whole from desired (so
// fields the CR no longer sets go away and hand edits are undone), labels and annotations are merged (others may
// add their own), and everything else of actual (resourceVersion, owner references, status) is kept.
func merged(actual, desired map[string]any, hash string) map[string]any {
	out := make(map[string]any, len(desired))
	for k, v := range actual {
		if notContent[k] {
			out[k] = v
		}
	}
	for k, v := range desired {
		if !notContent[k] {
			out[k] = v
		}
	}
	am, _ := actual["metadata"].(map[string]any)
	dm, _ := desired["metadata"].(map[string]any)
	meta := maps.Clone(am)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["labels"] = mergeAny(am["labels"], dm["labels"])
	annotations := mergeAny(am["annotations"], dm["annotations"])
	annotations[DesiredHashAnnotation] = hash
	meta["annotations"] = annotations
	out["metadata"] = meta
	return out
}

func mergeAny(a, b any) map[string]any {
	out := map[string]any{}
	if am, ok := a.(map[string]any); ok {
		maps.Copy(out, am)
	}
	if bm, ok := b.(map[string]any); ok {
		maps.Copy(out, bm)
	}
	return out
}
