package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	v1alpha1 "github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

type options struct {
	binDir  string
	workDir string
	once    bool
	step    time.Duration
	// otelcol is the collector binary (hack/otelcol.sh); with it the demo runs a real collector per pod of the
	// local example and checks what they scrape; without it, it shows the allocation as collectors fetch it.
	otelcol string
}

const namespace = "default"

// localExample is the second example the demo applies, beside the user's own (testenv.SeedExample, whose target
// is not reachable here; it shows the rewritten config): its static targets are served by the demo on 127.0.0.1.
const localExample = "collector-with-local-targets.yaml"

// demo holds what one run started, so that everything is stopped on the way out.
type demo struct {
	o          options
	out        io.Writer
	kube       kubernetes.Interface
	otel       versioned.Interface
	kubeconfig string
	processes  []*process
	taURLs     map[string]string // collector name -> target allocator base URL
	sink       *sink             // with o.otelcol: what the real collectors export
	fleet      *collectorFleet   // with o.otelcol: the local example's collector processes
}

func run(ctx context.Context, o options, out io.Writer) (err error) {
	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "otelcol-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(o.workDir, 0o755); err != nil {
		return err
	}
	operatorBin, err := binary(o.binDir, "operator")
	if err != nil {
		return err
	}
	taBin, err := binary(o.binDir, "target-allocator")
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "== starting kube-apiserver and etcd on 127.0.0.1 (the first run builds them from Go modules: minutes)")
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	d := &demo{o: o, out: out, taURLs: map[string]string{}}
	defer func() {
		for i := len(d.processes) - 1; i >= 0; i-- {
			d.processes[i].stop()
		}
		if stopErr := env.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
		fmt.Fprintln(out, "== stopped everything; logs and configs are in", o.workDir)
	}()

	if err := d.connect(env); err != nil {
		return err
	}
	local, err := testenv.Example(localExample)
	if err != nil {
		return err
	}
	// Every 127.0.0.1 address in the config is a static target, except the exporter's endpoint: the demo's sink.
	var targetAddrs []string
	for _, addr := range regexp.MustCompile(`127\.0\.0\.1:\d+`).FindAllString(local.Spec.Config, -1) {
		if addr != sinkAddr {
			targetAddrs = append(targetAddrs, addr)
		}
	}
	if _, err := startTargets(ctx, targetAddrs); err != nil {
		return err
	}
	var otelcolBin string
	if o.otelcol != "" {
		if otelcolBin, err = filepath.Abs(o.otelcol); err != nil {
			return err
		}
		if _, err := os.Stat(otelcolBin); err != nil {
			return fmt.Errorf("collector binary (hack/otelcol.sh builds it): %w", err)
		}
		if d.sink, err = startSink(); err != nil {
			return err
		}
		defer d.sink.close()
	}
	if err := d.startOperator(ctx, operatorBin); err != nil {
		return err
	}
	seed, err := testenv.Example(testenv.SeedExample)
	if err != nil {
		return err
	}
	for _, c := range []*v1alpha1.OpenTelemetryCollector{seed, local} {
		if _, err := d.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(namespace).Create(ctx, c, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("apply %s: %w", c.Name, err)
		}
		fmt.Fprintf(out, "== applied OpenTelemetryCollector %s/%s\n", namespace, c.Name)
	}

	// The stand-in must stop before the control plane does, or it reports connection errors on the way out.
	standCtx, stopStand := context.WithCancel(ctx)
	standDone := make(chan struct{})
	stand := &podStandIn{kube: d.kube, namespace: namespace, ips: map[string]string{}}
	go func() { defer close(standDone); stand.run(standCtx) }()
	defer func() { stopStand(); <-standDone }()

	if err := d.showRewrittenConfig(ctx, seed.Name); err != nil {
		return err
	}
	for _, c := range []*v1alpha1.OpenTelemetryCollector{seed, local} {
		if err := d.startTargetAllocator(ctx, taBin, c.Name); err != nil {
			return err
		}
	}
	if otelcolBin != "" {
		// Only the local example gets collectors: the seed's one target (0.0.0.0:8888) is served by nobody here.
		if d.fleet, err = d.newCollectorFleet(ctx, otelcolBin, local.Name); err != nil {
			return err
		}
		// Before the deferred stop of the target allocators and the control plane, as a kubelet ends pods first.
		defer d.fleet.stopAll()
	}

	// One round: the state as applied, one collector more, then two fewer.
	plan := []int32{3, 4, 2}
	for round := 0; ; round++ {
		for i, replicas := range plan {
			if err := d.scaleAndShow(ctx, local.Name, replicas); err != nil {
				return err
			}
			if round == 0 && i == 0 {
				if err := d.showUnexpandedID(ctx, local.Name); err != nil {
					return err
				}
			}
			if o.once && round == 0 && replicas == plan[len(plan)-1] {
				return nil
			}
			if round == 0 && i == len(plan)-1 {
				fmt.Fprintf(out, "\n== live view: the collectors keep changing every %s; press Ctrl-C to stop everything\n", o.step)
				fmt.Fprintf(out, "   try: %s --kubeconfig %s get otelcol,statefulsets,pods\n", filepath.Join(env.BinDir, "kubectl"), d.kubeconfig)
				fmt.Fprintf(out, "        curl '%s/jobs/web/targets?collector_id=%s-collector-0'\n", d.taURLs[local.Name], local.Name)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(o.step):
			}
		}
	}
}

func (d *demo) connect(env *testenv.Env) error {
	kubeconfig, err := env.AdminKubeConfig("demo-admin")
	if err != nil {
		return err
	}
	d.kubeconfig = filepath.Join(d.o.workDir, "kubeconfig")
	if err := os.WriteFile(d.kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	if d.kube, err = kubernetes.NewForConfig(env.Config); err != nil {
		return err
	}
	d.otel, err = versioned.NewForConfig(env.Config)
	return err
}

func (d *demo) startOperator(ctx context.Context, bin string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	p, err := startProcess("operator", bin, filepath.Join(d.o.workDir, "operator.log"), nil,
		"--kubeconfig="+d.kubeconfig, "--metrics-addr="+addr, "--leader-elect=false")
	if err != nil {
		return err
	}
	d.processes = append(d.processes, p)
	if err := waitHTTP(ctx, p, "http://"+addr+"/readyz", time.Minute); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "== operator running (metrics http://%s/metrics, log %s)\n", addr, p.log)
	return nil
}

// waitConfigMap returns a key of a ConfigMap the operator writes, waiting until it exists.
func (d *demo) waitConfigMap(ctx context.Context, name, key string) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		cm, err := d.kube.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil && cm.Data[key] != "" {
			return cm.Data[key], nil
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return "", err
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the operator did not write ConfigMap %s/%s with key %s within a minute", namespace, name, key)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (d *demo) showRewrittenConfig(ctx context.Context, name string) error {
	config, err := d.waitConfigMap(ctx, name+"-collector", "collector.yaml")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n== collector config written by the operator (ConfigMap %s-collector, key collector.yaml)\n", name)
	for _, line := range strings.Split(strings.TrimRight(config, "\n"), "\n") {
		fmt.Fprintln(d.out, "  |", line)
	}
	return nil
}

// startTargetAllocator runs the target allocator for one collector as a local process with the config the
// operator wrote into its ConfigMap, exactly as the TA Deployment would mount it.
func (d *demo) startTargetAllocator(ctx context.Context, bin, name string) error {
	config, err := d.waitConfigMap(ctx, name+"-targetallocator", "targetallocator.yaml")
	if err != nil {
		return err
	}
	path := filepath.Join(d.o.workDir, name+"-targetallocator.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	p, err := startProcess("target allocator of "+name, bin, filepath.Join(d.o.workDir, name+"-targetallocator.log"),
		[]string{"OTELCOL_NAMESPACE=" + namespace},
		"--config-file="+path, "--listen-addr="+addr, "--kubeconfig="+d.kubeconfig)
	if err != nil {
		return err
	}
	d.processes = append(d.processes, p)
	url := "http://" + addr
	if err := waitHTTP(ctx, p, url+"/readyz", time.Minute); err != nil {
		return err
	}
	d.taURLs[name] = url
	fmt.Fprintf(d.out, "== target allocator of %s ready at %s (debug page %s/, jobs %s/jobs, config %s)\n", name, url, url, url, path)
	return nil
}

// scaleAndShow scales the collector through the scale subresource (as kubectl scale does), waits until its
// target allocator has spread every target over the new set of pods, and prints the result.
func (d *demo) scaleAndShow(ctx context.Context, name string, replicas int32) error {
	client := d.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(namespace)
	scale, err := client.GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if scale.Spec.Replicas != replicas {
		fmt.Fprintf(d.out, "\n== scaling %s to %d collectors (kubectl --kubeconfig %s scale otelcol/%s --replicas=%d)\n",
			name, replicas, d.kubeconfig, name, replicas)
		_, err = client.UpdateScale(ctx, name, &autoscalingv1.Scale{
			ObjectMeta: scale.ObjectMeta, Spec: autoscalingv1.ScaleSpec{Replicas: replicas},
		}, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
	}
	// Settled means: the TA serves the pods that exist, every target exactly once, and two polls a second apart
	// agree (the TA reacts to pod changes within milliseconds; the second poll guards against catching it midway).
	deadline := time.Now().Add(time.Minute)
	var previous *allocation
	for {
		a, err := fetchAllocation(ctx, d.kube, namespace, name, d.taURLs[name])
		if err == nil && len(a.collectors) == int(replicas) && allServedOnce(a) {
			if previous != nil && reflect.DeepEqual(previous, a) {
				a.render(d.out, fmt.Sprintf("== %s: which collector scrapes what (from %s, as each collector pod asks for it)", name, d.taURLs[name]))
				if d.fleet == nil || d.fleet.name != name {
					return nil
				}
				if err := d.fleet.sync(ctx); err != nil {
					return err
				}
				return d.fleet.verify(ctx, d.sink, a)
			}
			previous = a
		} else {
			previous = nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("targets not yet spread over every collector")
			}
			return fmt.Errorf("allocation of %s did not settle within a minute: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// allServedOnce reports whether the collectors' shares hold at least one target and none twice.
func allServedOnce(a *allocation) bool {
	ok, total := a.servedOnce()
	return ok && total > 0
}
