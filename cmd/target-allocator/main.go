// Command target-allocator runs Prometheus service discovery once for a pool of OpenTelemetry Collectors and
// serves each collector pod its own share of the targets over Prometheus' http_sd protocol. It reads the same
// config file, takes the same flags and serves the same HTTP API as the OpenTelemetry Operator's target
// allocator.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/logformat"
	"github.com/otelcol-operator/otelcol-operator/pkg/version"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "target-allocator:", err)
		os.Exit(2)
	}
	if o.printVersion {
		fmt.Println(version.Get().String("target-allocator"))
		return
	}
	if err := logformat.Configure(o.logFormat, o.logVerbosity, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "target-allocator:", err)
		os.Exit(2)
	}
	for _, w := range o.notApplicable {
		klog.Warningf("Flag not applicable, accepted and ignored: %s", w)
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
