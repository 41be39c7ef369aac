// Command target-allocator runs Prometheus service discovery once for a pool of OpenTelemetry Collectors and
// serves each collector pod its own share of the targets over Prometheus' http_sd protocol. It reads the same
// config file and serves the same HTTP API as the OpenTelemetry Operator's target allocator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"k8s.io/klog/v2"
)

type options struct {
	configFile   string
	listenAddr   string
	kubeconfig   string
	readyTimeout time.Duration
	// enablePrometheusCR turns on prometheus_cr.enabled, as the reference's flag does.
	enablePrometheusCR bool
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("target-allocator", flag.ContinueOnError)
	klog.InitFlags(fs)
	fs.StringVar(&o.configFile, "config-file", "/conf/targetallocator.yaml", "the target allocator's config file")
	fs.StringVar(&o.listenAddr, "listen-addr", "", "HTTP listen address; overrides listen_addr of the config file (default :8080)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; overrides kube_config_file_path; empty: in-cluster, else ~/.kube/config")
	fs.StringVar(&o.kubeconfig, "kubeconfig-path", "", "alias of --kubeconfig, for drop-in use in place of the reference target allocator")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 30*time.Second,
		"longest wait for jobs whose discovery delivers nothing before /readyz turns 200 anyway")
	fs.BoolVar(&o.enablePrometheusCR, "enable-prometheus-cr-watcher", false,
		"watch ServiceMonitors, PodMonitors, Probes and ScrapeConfigs (sets prometheus_cr.enabled)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.readyTimeout <= 0 {
		return nil, fmt.Errorf("--ready-timeout must be positive, got %s", o.readyTimeout)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "target-allocator:", err)
		os.Exit(2)
	}
	// The heap of a large target set is mostly garbage between discovery updates; without a limit the collector
	// lets it grow to twice the live heap and a container limit kills the process. GOMEMLIMIT, when set, wins;
	// AUTOMEMLIMIT=off turns this off. This is the library Prometheus itself uses for --auto-gomemlimit.
	if limit, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.FromCgroup)); err != nil {
		klog.V(2).InfoS("No container memory limit found; GOMEMLIMIT not set", "reason", err.Error())
	} else if limit > 0 && limit < 1<<62 {
		klog.InfoS("GOMEMLIMIT set from the container's memory limit", "bytes", limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		klog.ErrorS(err, "Target allocator failed")
		klog.Flush()
		os.Exit(1)
	}
	klog.Flush()
}
