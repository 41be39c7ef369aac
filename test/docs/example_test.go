package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// The README's snippet for other controllers must be this file's listCollectors, byte for byte, so the snippet
// users copy is known to compile.
func TestREADMESnippetCompiles(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- snippet: test/docs/snippet_test.go -->\n```go\n")
	if !ok {
		t.Fatal("README.md lacks the clientset snippet marker")
	}
	snippet, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("README.md's clientset snippet is not closed")
	}
	source, err := os.ReadFile("snippet_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(source), snippet) {
		t.Errorf("README.md's snippet differs from test/docs/snippet_test.go; copy it from there:\n%s", snippet)
	}
}
