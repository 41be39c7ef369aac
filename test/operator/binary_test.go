package operator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// TestOperatorBinary runs cmd/operator as a process: leader election through a Lease, /readyz after the caches
// synced, /metrics with workqueue, client-go and reconcile metrics, and a clean exit on SIGTERM.
func TestOperatorBinary(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "operator")
	build := exec.Command("go", "build", "-o", bin, "./cmd/operator")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	raw, err := testEnv.AdminKubeConfig("operator-binary")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "--kubeconfig="+kubeconfig, "--metrics-addr="+addr, "--leader-elect=true",
		"--leader-elect-lease-name=binary-test", "--leader-elect-resource-namespace=otelcol-operator-system", "--namespaces=binary-test")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("operator log:\n%s", logs.String())
		}
	}()

	get := func(path string) (int, string, error) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	eventually(t, "/readyz answers 200", func() error {
		code, body, err := get("/readyz")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("%d %s", code, body)
		}
		return err
	})
	for _, path := range []string{"/healthz", "/livez"} {
		if code, body, err := get(path); err != nil || code != http.StatusOK {
			t.Errorf("%s: %d %q %v", path, code, body, err)
		}
	}
	eventually(t, "the Lease names this process", func() error {
		l, err := admin.CoordinationV1().Leases("otelcol-operator-system").Get(ctx, "binary-test", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
			return fmt.Errorf("no holder")
		}
		return nil
	})
	eventually(t, "/metrics has workqueue, client-go and reconcile metrics", func() error {
		_, body, err := get("/metrics")
		if err != nil {
			return err
		}
		for _, want := range []string{`workqueue_adds_total{name="opentelemetrycollector"}`, "rest_client_requests_total",
			"otelcol_operator_reconcile_duration_seconds", "go_goroutines"} {
			if !strings.Contains(body, want) {
				return fmt.Errorf("no %s", want)
			}
		}
		return nil
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("operator still running 20 s after SIGTERM")
	}
	if !strings.Contains(logs.String(), "Operator stopped") {
		t.Errorf("no clean stop in the log")
	}
}
