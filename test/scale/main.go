// Command scale measures the operator at scale on a local control plane (envtest): it starts the operator binary,
// creates N collectors (the seed example, target allocator included) and reports the time until every collector
// is Reconciled for its generation, the operator's API writes while converging, its API writes during a quiet
// window of steady state (which must be 0), and the operator's CPU time and peak RSS.
//
//	go run ./test/scale -n 1000 -quiet 60s
//
// It is a command, not a test: `make test` does not run it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/controller"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

func main() {
	n := flag.Int("n", 1000, "collectors to create")
	quiet := flag.Duration("quiet", 60*time.Second, "steady-state window in which the operator must write nothing")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up converging after this long")
	bin := flag.String("bin", "", "operator binary; empty builds ./cmd/operator")
	logPath := flag.String("operator-log", "", "keep the operator's log (run with --v=6: every request) in this file; empty: discarded")
	flag.Parse()
	if err := run(*n, *quiet, *timeout, *bin, *logPath); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(n int, quiet, timeout time.Duration, bin, logPath string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "otelcol-scale")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "operator")
		build := exec.Command("go", "build", "-o", bin, "./cmd/operator")
		build.Dir, build.Stdout, build.Stderr = testenv.RepoRoot(), os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the operator: %w", err)
		}
	}
	// A thousand collectors with their Services (three for the seed example) exhaust envtest's /24 service range.
	env, err := testenv.StartWithAPIServerFlags(func(args *envtest.Arguments) {
		args.Set("service-cluster-ip-range", "10.0.0.0/16")
	})
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	kubeconfig, err := env.AdminKubeConfig("otelcol-operator")
	if err != nil {
		return err
	}
	kcPath := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kcPath, kubeconfig, 0o600); err != nil {
		return err
	}
	kube := kubernetes.NewForConfigOrDie(env.Config)
	otel := versioned.NewForConfigOrDie(env.Config)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	args := []string{"--kubeconfig=" + kcPath, "--metrics-addr=" + metricsAddr, "--workers=4", "--resync=0"}
	if logPath == "" {
		logPath = filepath.Join(dir, "operator.log")
	} else {
		args = append(args, "--v=6")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	op := exec.Command(bin, args...)
	op.Stdout, op.Stderr = logFile, logFile
	if err := op.Start(); err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = op.Process.Kill()
			_ = op.Wait()
		}
	}()

	const ns = "scale"
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	seed, err := testenv.Example(testenv.SeedExample)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := range n {
		col := seed.DeepCopy()
		col.Namespace, col.Name = ns, fmt.Sprintf("c%04d", i)
		if _, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating %s: %w", col.Name, err)
		}
	}
	created := time.Since(start)
	for {
		list, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		done := 0
		for _, c := range list.Items {
			if cond := meta.FindStatusCondition(c.Status.Conditions, controller.ConditionReconciled); cond != nil &&
				cond.Status == metav1.ConditionTrue && c.Status.ObservedGeneration == c.Generation {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("only %d of %d collectors reconciled after %s", done, n, timeout)
		}
		time.Sleep(time.Second)
	}
	converged := time.Since(start)
	// The operator's last writes (status) may still be in flight when the last condition is seen.
	time.Sleep(2 * time.Second)
	w1, err := writes(metricsAddr)
	if err != nil {
		return err
	}
	time.Sleep(quiet)
	w2, err := writes(metricsAddr)
	if err != nil {
		return err
	}
	_ = op.Process.Signal(syscall.SIGTERM)
	_ = op.Wait()
	stopped = true
	usage, _ := op.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("collectors:                  %d (created in %s)\n", n, created.Round(time.Millisecond))
	fmt.Printf("time to steady state:        %s\n", converged.Round(time.Millisecond))
	fmt.Printf("API writes while converging: %d (%.1f per collector, Events included)\n", w1, float64(w1)/float64(n))
	fmt.Printf("API writes in %s steady:    %d\n", quiet, w2-w1)
	fmt.Printf("operator CPU:                %s user, %s system\n", op.ProcessState.UserTime().Round(time.Millisecond), op.ProcessState.SystemTime().Round(time.Millisecond))
	if usage != nil {
		fmt.Printf("operator peak RSS:           %.1f MiB\n", float64(usage.Maxrss)/1024)
	}
	if w2 != w1 {
		return fmt.Errorf("%d writes in steady state, want 0", w2-w1)
	}
	return nil
}

// writes sums the operator's rest_client_requests_total for every method that is not a read.
func writes(addr string) (int64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var total int64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		if strings.Contains(line, `method="GET"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, err
		}
		total += int64(v)
	}
	return total, sc.Err()
}
