// Package docs_test keeps README.md in step with the code: every field of the OpenTelemetryCollector API has a
// row in the CR reference, and the Go snippet for other controllers compiles (see example_test.go).
package docs_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1alpha1 "github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// fieldPaths lists the JSON paths of every field of t, descending only into this API's own struct types (core
// Kubernetes types such as Affinity are documented upstream).
func fieldPaths(prefix string, t reflect.Type) []string {
	var paths []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := prefix + "." + name
		paths = append(paths, path)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == reflect.TypeFor[v1alpha1.OpenTelemetryCollector]().PkgPath() {
			paths = append(paths, fieldPaths(path, ft)...)
		}
	}
	return paths
}

func TestREADMEDocumentsEveryAPIField(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths := append(fieldPaths("spec", reflect.TypeFor[v1alpha1.OpenTelemetryCollectorSpec]()),
		fieldPaths("status", reflect.TypeFor[v1alpha1.OpenTelemetryCollectorStatus]())...)
	if len(paths) < 40 {
		t.Fatalf("found only %d API fields; the walk is broken", len(paths))
	}
	for _, p := range paths {
		if !strings.Contains(string(readme), "`"+p+"`") {
			t.Errorf("README.md has no CR reference row for `%s`", p)
		}
	}
}
