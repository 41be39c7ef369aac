// Package taprocess runs the target allocator binary for the integration suites: it builds the binary once per
// suite, starts the control plane, and starts target allocator processes that stop cleanly with their test.
package taprocess

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// Suite is what a suite's tests share: the API server and the target allocator binary.
type Suite struct {
	// Config reaches the API server as a cluster admin.
	Config *rest.Config
	// Kubeconfig is a kubeconfig file for the target allocator processes.
	Kubeconfig string
	// Binary is the target allocator built from this tree.
	Binary string
}

// Run builds the target allocator, starts the control plane with the project's CRDs and extraCRDDirs, fills
// suite, runs the tests and tears everything down. It returns the exit code for os.Exit.
func Run(m *testing.M, suite *Suite, extraCRDDirs ...string) int {
	dir, err := os.MkdirTemp("", "ta-suite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	suite.Binary = filepath.Join(dir, "target-allocator")
	build := exec.Command("go", "build", "-o", suite.Binary, "./cmd/target-allocator")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build target allocator: %v\n%s", err, out)
		return 1
	}
	env, err := testenv.Start(extraCRDDirs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	suite.Config = env.Config
	kubeconfig, err := env.AdminKubeConfig("target-allocator")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	suite.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(suite.Kubeconfig, kubeconfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// StartTA runs the target allocator with config for the collectors of namespace and waits until /readyz
// answers 200. It returns the base URL. extraEnv is added to the process environment. The process gets SIGTERM
// when the test ends and must exit cleanly; its log is shown when the test failed.
func (s *Suite) StartTA(t *testing.T, namespace, config string, extraEnv ...string) string {
	t.Helper()
	addr := FreeAddr(t)
	return s.StartTAArgs(t, namespace, config, []string{"--listen-addr=" + addr, "--kubeconfig=" + s.Kubeconfig}, extraEnv...)
}

// StartTAArgs is StartTA with the command line after --config-file given by the caller, which must include a
// --listen-addr (GNU form --listen-addr=<addr> or --listen-addr <addr>) and the suite's kubeconfig.
func (s *Suite) StartTAArgs(t *testing.T, namespace, config string, args []string, extraEnv ...string) string {
	t.Helper()
	var addr string
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--listen-addr="); ok {
			addr = v
		} else if a == "--listen-addr" && i+1 < len(args) {
			addr = args[i+1]
		}
	}
	if addr == "" {
		t.Fatal("StartTAArgs: no --listen-addr among the arguments")
	}
	dir := t.TempDir()
	configPath := filepath.Join(dir, "targetallocator.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "ta.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.Binary, append([]string{"--config-file=" + configPath}, args...)...)
	cmd.Env = append(append(os.Environ(), "OTELCOL_NAMESPACE="+namespace), extraEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("target allocator did not exit cleanly on SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("target allocator did not stop within 15s of SIGTERM")
		}
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("target allocator log:\n%s", log)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("target allocator exited: %v\n%s", err, log)
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("target allocator not ready within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address with a port nobody listens on right now.
func FreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
