// Package testenv starts a real kube-apiserver and etcd for integration tests, with the project's CRDs
// installed. The binaries come from hack/control-plane.sh (built from Go modules, cached), so the suites run on a
// machine with no cluster and no docker.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Env is a running control plane.
type Env struct {
	// Config reaches the API server as a cluster admin.
	Config *rest.Config
	// BinDir holds kube-apiserver, etcd and kubectl.
	BinDir string
	env    *envtest.Environment
}

// RepoRoot returns the repository's top directory, found from this source file's location so tests work from
// any package directory.
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testenv: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start builds the control plane when needed (KUBEBUILDER_ASSETS overrides), starts it and installs every CRD
// in manifests/crd and in extraCRDDirs (paths relative to the repository root), waiting until they are served.
func Start(extraCRDDirs ...string) (*Env, error) {
	return StartWithAdmissionPlugins(nil, extraCRDDirs...)
}

// StartWithAdmissionPlugins is Start with extra kube-apiserver admission plugins enabled (for example
// OwnerReferencesPermissionEnforcement, which OpenShift enables and a plain API server does not).
func StartWithAdmissionPlugins(plugins []string, extraCRDDirs ...string) (*Env, error) {
	return StartWithAPIServerFlags(func(args *envtest.Arguments) {
		if len(plugins) > 0 {
			args.Append("enable-admission-plugins", plugins...)
		}
	}, extraCRDDirs...)
}

// StartWithAPIServerFlags is Start with kube-apiserver flags set by configure (for example a service IP range
// larger than envtest's /24, which a thousand collectors with their Services exhaust).
func StartWithAPIServerFlags(configure func(*envtest.Arguments), extraCRDDirs ...string) (*Env, error) {
	assets, err := assetsDir()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     crdDirs(extraCRDDirs),
		ErrorIfCRDPathMissing: true,
	}
	configure(env.ControlPlane.GetAPIServer().Configure())
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane from %s: %w", assets, err)
	}
	return &Env{Config: cfg, BinDir: assets, env: env}, nil
}

// AdminKubeConfig returns a kubeconfig file's content for a new cluster-admin user, for processes (the operator,
// the target allocator) that run beside the tests and need their own credentials.
func (e *Env) AdminKubeConfig(user string) ([]byte, error) {
	u, err := e.env.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("add user %s: %w", user, err)
	}
	return u.KubeConfig()
}

func crdDirs(extra []string) []string {
	dirs := []string{filepath.Join(RepoRoot(), "manifests", "crd")}
	for _, d := range extra {
		dirs = append(dirs, filepath.Join(RepoRoot(), d))
	}
	return dirs
}

// Stop stops the API server and etcd and removes their data.
func (e *Env) Stop() error { return e.env.Stop() }

// assetsDir returns the directory holding kube-apiserver and etcd: KUBEBUILDER_ASSETS when set, else the cache
// directory that hack/control-plane.sh prints (building the binaries on first use).
func assetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	script := filepath.Join(RepoRoot(), "hack", "control-plane.sh")
	var stdout bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	dir := strings.TrimSpace(stdout.String())
	if dir == "" {
		return "", fmt.Errorf("%s printed no directory", script)
	}
	return dir, nil
}
