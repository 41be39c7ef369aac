// Package promcr_test runs the target allocator binary with prometheus_cr enabled against a real API server with
// the monitoring.coreos.com CRDs installed (generated from the Prometheus Operator's Go types into test/crds):
// monitors created, changed and deleted in the API change the jobs the TA serves within seconds.
package promcr_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

var (
	restConfig     *rest.Config
	kubeconfigPath string
	taBinary       string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ta-promcr-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	taBinary = filepath.Join(dir, "target-allocator")
	build := exec.Command("go", "build", "-o", taBinary, "./cmd/target-allocator")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build target allocator: %v\n%s", err, out)
		return 1
	}
	env, err := testenv.Start("test/crds/monitoring")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	restConfig = env.Config
	kubeconfig, err := env.AdminKubeConfig("target-allocator")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kubeconfigPath = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
