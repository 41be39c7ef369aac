// Package apimodule checks what importing the typed clientset costs another controller: its module graph must be
// client-go's own, never this project's (prometheus, the cloud SDKs of the SD mechanisms, the code generators).
package apimodule

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const module = "github.com/otelcol-operator/otelcol-operator"

// scratch writes a module importing pkgs (blank imports in a main package), tidies and builds it, and returns
// the paths of its module graph. The project's go.sum seeds its checksums, so only the module proxy is needed.
func scratch(t *testing.T, pkgs ...string) []string {
	t.Helper()
	root := testenv.RepoRoot()
	dir := t.TempDir()
	gomod := "module example.com/importer\n\ngo 1.26.7\n\n" +
		"replace " + module + "/apis => " + filepath.Join(root, "apis") + "\n" +
		"replace " + module + "/generated => " + filepath.Join(root, "generated") + "\n"
	src := "package main\n\nimport (\n"
	for _, p := range pkgs {
		src += "\t_ \"" + p + "\"\n"
	}
	src += ")\n\nfunc main() {}\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"go.mod": gomod, "main.go": src, "go.sum": string(sum)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if !strings.Contains(pkgs[0], "client-go") {
		// The project's own modules need a requirement; replace alone does not add them to the graph.
		run("mod", "edit", "-require="+module+"/apis@v0.0.0", "-require="+module+"/generated@v0.0.0")
	}
	run("mod", "tidy")
	run("build", "-o", filepath.Join(dir, "importer"), ".")
	return strings.Fields(run("list", "-m", "-f", "{{.Path}}", "all"))
}

// TestClientsetImportsOnlyClientGo: a program importing the clientset, informers, listers and
// applyconfigurations has no module that a program importing only client-go lacks, besides ours.
func TestClientsetImportsOnlyClientGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two scratch modules")
	}
	baseline := scratch(t, "k8s.io/client-go/kubernetes", "k8s.io/client-go/informers")
	ours := scratch(t,
		module+"/generated/clientset/versioned",
		module+"/generated/informers/externalversions",
		module+"/generated/listers/opentelemetry/v1alpha1",
		module+"/generated/applyconfiguration/opentelemetry/v1alpha1",
		module+"/apis/opentelemetry/v1alpha1",
	)
	if !slices.Contains(ours, module+"/generated") || !slices.Contains(ours, module+"/apis") {
		t.Fatalf("the scratch module does not use our modules: %v", ours)
	}
	var extra []string
	for _, m := range ours {
		switch {
		case m == "example.com/importer", m == module+"/apis", m == module+"/generated":
		case m == module:
			extra = append(extra, m+" (the whole project)")
		case strings.Contains(m, "prometheus"), !slices.Contains(baseline, m):
			extra = append(extra, m)
		}
	}
	if len(extra) > 0 {
		t.Errorf("importing the clientset pulls modules client-go alone does not: %v", extra)
	}
}
