package controller

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Only immutable-field rejections may cost a running child its life; invalid content from the CR must not.
func TestOnlyImmutableFieldErrors(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	invalid := func(msgs ...string) error {
		var errs field.ErrorList
		for _, m := range msgs {
			errs = append(errs, field.Invalid(field.NewPath("spec"), "x", m))
		}
		return apierrors.NewInvalid(gk, "c-collector", errs)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"immutable selector", invalid("field is immutable"), true},
		{"roleRef", invalid("cannot change roleRef"), true},
		{"statefulset spec", invalid("updates to statefulset spec for fields other than 'replicas' are forbidden"), true},
		{"bad content from the CR", invalid("must be no more than 63 characters"), false},
		{"immutable and bad content", invalid("field is immutable", "must be a valid port number"), false},
		{"not an API error", errors.New("connection refused"), false},
		{"conflict", apierrors.NewConflict(schema.GroupResource{Resource: "statefulsets"}, "c", errors.New("x")), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := onlyImmutableFieldErrors(tc.err); got != tc.want {
				t.Errorf("onlyImmutableFieldErrors(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
