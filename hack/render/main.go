// Command render prints what an install of this project would send to the API server, as one YAML stream, so that
// a test can apply it: a kustomize directory (as `kubectl apply -k` builds it) or the Helm chart with --set values
// (as `helm install` renders it, CRDs from the chart's crds/ first). It lives in a module of its own so that helm
// and kustomize never enter the operator's module graph.
//
// Usage:
//
//	render kustomize DIR
//	render helm [--release NAME] [--namespace NS] [--set key=value]... CHART
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: render kustomize DIR | render helm [--release NAME] [--namespace NS] [--set k=v]... CHART")
	}
	switch args[0] {
	case "kustomize":
		if len(args) != 2 {
			return fmt.Errorf("usage: render kustomize DIR")
		}
		return kustomize(args[1], out)
	case "helm":
		return helm(args[1:], out)
	}
	return fmt.Errorf("unknown command %q (kustomize or helm)", args[0])
}

func kustomize(dir string, out io.Writer) error {
	// The defaults of `kubectl apply -k`: files only from inside the kustomization's root (bases may be above).
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return err
	}
	b, err := m.AsYaml()
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}

// setFlags collects repeated --set values in order; later ones win, as with helm.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func helm(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("helm", flag.ContinueOnError)
	release := fs.String("release", "otelcol-operator", "release name")
	namespace := fs.String("namespace", "otelcol-operator-system", "release namespace")
	var sets setFlags
	fs.Var(&sets, "set", "key=value, as helm's --set (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: render helm [flags] CHART")
	}
	ch, err := loader.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	user := map[string]any{}
	for _, s := range sets {
		if err := strvals.ParseInto(s, user); err != nil {
			return fmt.Errorf("--set %s: %w", s, err)
		}
	}
	// Schema validation on, as helm install does, so values.schema.json is exercised too.
	vals, err := util.ToRenderValues(ch, user, common.ReleaseOptions{Name: *release, Namespace: *namespace, IsInstall: true}, nil)
	if err != nil {
		return err
	}
	rendered, err := engine.Render(ch, vals)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, crd := range ch.CRDObjects() {
		writeDoc(&buf, crd.Filename, crd.File.Data)
	}
	// Template order is irrelevant to a server-side apply; sorted names keep the output stable.
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		// NOTES.txt and helpers render to text that is not a manifest; helm skips them the same way.
		if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(rendered[name]) == "" {
			continue
		}
		writeDoc(&buf, name, []byte(rendered[name]))
	}
	_, err = out.Write(buf.Bytes())
	return err
}

func writeDoc(buf *bytes.Buffer, source string, data []byte) {
	fmt.Fprintf(buf, "---\n# Source: %s\n", source)
	buf.Write(bytes.TrimPrefix(data, []byte("---\n")))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		buf.WriteByte('\n')
	}
}
