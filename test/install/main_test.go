// Package install_test renders what a platform team installs, the kustomize base and overlays and the Helm chart,
// with hack/render (helm's and kustomize's own Go packages, in a module of their own so they stay out of the
// operator's module graph), checks that values reach the objects and that the chart does not drift from
// manifests/operator, and sends every object to a real API server (envtest): the CRD and the namespaces applied,
// everything else server-side applied with dryRun=All, so schema, defaulting and validation errors fail here.
package install_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

var (
	testEnv *testenv.Env
	dyn     dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	// renderBin is hack/render, built once per change of its sources.
	renderBin string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// envtest logs through controller-runtime; without a logger it prints a stack trace instead.
	ctrllog.SetLogger(logr.Discard())
	var err error
	if renderBin, err = buildRender(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The Prometheus Operator's CRDs, so the chart's optional ServiceMonitor is validated too.
	env, err := testenv.Start(filepath.Join("test", "crds", "monitoring"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	testEnv = env
	if dyn, err = dynamic.NewForConfig(env.Config); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return m.Run()
}

// buildRender builds hack/render into a cache directory keyed by its go.mod, go.sum and source (as
// hack/control-plane.sh caches the control plane), so only the first run after a change pays the build: helm and
// kustomize take minutes to compile cold. RENDER_CACHE overrides the cache root.
func buildRender() (string, error) {
	src := filepath.Join(testenv.RepoRoot(), "hack", "render")
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	key := hex.EncodeToString(h.Sum(nil))[:12]
	root := os.Getenv("RENDER_CACHE")
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(cache, "otelcol-operator", "render")
	}
	bin := filepath.Join(root, key, "render")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "install: building hack/render into %s (helm and kustomize: a cold build takes a few minutes)\n", bin)
	start := time.Now()
	// Built to a temporary name and renamed, so an interrupted build never leaves a binary that looks complete.
	tmp := bin + ".tmp"
	cmd := exec.Command("go", "build", "-trimpath", "-o", tmp, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build hack/render: %w", err)
	}
	fmt.Fprintf(os.Stderr, "install: hack/render built in %s\n", time.Since(start).Round(time.Second))
	return bin, os.Rename(tmp, bin)
}

// render runs hack/render and decodes its YAML stream.
func render(args ...string) ([]*unstructured.Unstructured, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(renderBin, args...)
	cmd.Dir = testenv.RepoRoot()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("render %v: %w: %s", args, err, stderr.String())
	}
	return decode(&stdout)
}

func mustRender(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := render(args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("render %v: no objects", args)
	}
	return objs
}

func decode(r io.Reader) ([]*unstructured.Unstructured, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue // an empty document (a comment only)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

func decodeFile(t *testing.T, rel string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.RepoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, err := decode(f)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return objs
}

// applyAll sends objs to the API server as an install would: CRDs and Namespaces for real (the other objects
// need them to exist), then every object with a server-side apply under dryRun=All, which runs admission, schema
// validation and defaulting without storing anything. extraNamespaces are created first (namespaces an install
// expects to exist, such as watched ones).
func applyAll(t *testing.T, objs []*unstructured.Unstructured, extraNamespaces ...string) {
	t.Helper()
	ctx := context.Background()
	for _, ns := range extraNamespaces {
		nsObj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if err := apply(ctx, nsObj, false); err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
	for _, o := range objs {
		if k := o.GetKind(); k == "CustomResourceDefinition" || k == "Namespace" {
			if err := apply(ctx, o, false); err != nil {
				t.Fatalf("apply %s %s: %v", k, o.GetName(), err)
			}
		}
	}
	// The CRDs just applied may be new kinds to discovery.
	mapper.Reset()
	for _, o := range objs {
		if err := apply(ctx, o, true); err != nil {
			t.Errorf("dry-run apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

func apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	opts := metav1.ApplyOptions{FieldManager: "install-test", Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			return fmt.Errorf("namespaced %s without a namespace", gvk.Kind)
		}
		ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	_, err = ri.Apply(ctx, o.GetName(), o, opts)
	return err
}
