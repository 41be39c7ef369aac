// Command generator prints what the Prometheus Operator's own config generator makes of a
// corpus of monitoring resources, configured as the reference OpenTelemetry target
// allocator configures it (EndpointSlice role, inline TLS, every resource selected, the
// TA's scrape interval and scrape classes). The conformance test in the parent directory
// compares its output with our converter's.
//
// It lives in a module of its own because the generator's dependency graph needs an older
// prometheus module than the operator's (see the test's documentation).
//
// Usage: go run . <corpus directory>
//
// Output (YAML on stdout): the generated Prometheus configuration, and the keys
// (Kind/namespace/name) of the resources the generator's resource selector rejected.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus-operator/prometheus-operator/pkg/assets"
	"github.com/prometheus-operator/prometheus-operator/pkg/operator"
	"github.com/prometheus-operator/prometheus-operator/pkg/prometheus"
	promclient "github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// Settings mirrors the TA's prometheus_cr keys the generator depends on.
type Settings struct {
	ScrapeInterval string                     `json:"scrape_interval"`
	ScrapeClasses  []monitoringv1.ScrapeClass `json:"scrape_classes"`
}

// Output is what the program prints.
type Output struct {
	Config   string   `json:"config"`
	Rejected []string `json:"rejected"`
}

type corpus struct {
	settings        Settings
	namespaces      map[string]bool
	kube            []runtime.Object
	serviceMonitors []*monitoringv1.ServiceMonitor
	podMonitors     []*monitoringv1.PodMonitor
	probes          []*monitoringv1.Probe
	scrapeConfigs   []*monitoringv1alpha1.ScrapeConfig
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: generator <corpus directory>")
		os.Exit(2)
	}
	out, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "generator:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

func run(dir string) ([]byte, error) {
	c, err := readCorpus(dir)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	role := monitoringv1.ServiceDiscoveryRole("EndpointSlice")
	everything := &metav1.LabelSelector{}
	prom := &monitoringv1.Prometheus{
		ObjectMeta: metav1.ObjectMeta{Name: "target-allocator", Namespace: "collectors"},
		Spec: monitoringv1.PrometheusSpec{
			CommonPrometheusFields: monitoringv1.CommonPrometheusFields{
				ScrapeInterval:                  monitoringv1.Duration(c.settings.ScrapeInterval),
				ServiceMonitorSelector:          everything,
				ServiceMonitorNamespaceSelector: everything,
				PodMonitorSelector:              everything,
				PodMonitorNamespaceSelector:     everything,
				ProbeSelector:                   everything,
				ProbeNamespaceSelector:          everything,
				ScrapeConfigSelector:            everything,
				ScrapeConfigNamespaceSelector:   everything,
				ServiceDiscoveryRole:            &role,
				ScrapeClasses:                   c.settings.ScrapeClasses,
			},
			EvaluationInterval: "30s",
		},
	}

	gen, err := prometheus.NewConfigGenerator(logger, prom, prometheus.WithEndpointSliceSupport(), prometheus.WithInlineTLSConfig())
	if err != nil {
		return nil, fmt.Errorf("config generator: %w", err)
	}

	// The API server turns stringData into data on write; the fake clientset does not.
	for _, o := range c.kube {
		if s, ok := o.(*corev1.Secret); ok {
			for k, v := range s.StringData {
				if s.Data == nil {
					s.Data = map[string][]byte{}
				}
				s.Data[k] = []byte(v)
			}
			s.StringData = nil
		}
	}
	client := fake.NewClientset(c.kube...)
	store := assets.NewStoreBuilder(client.CoreV1(), client.CoreV1())
	nsInformer := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Namespace{}, 0, cache.Indexers{})
	for ns := range c.namespaces {
		if err := nsInformer.GetStore().Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return nil, err
		}
	}
	recorder := operator.NewEventRecorderFactory(false)(client, "conformance")(prom)
	selector, err := prometheus.NewResourceSelector(logger, prom, store, nsInformer, operator.NewMetrics(promclient.NewRegistry()), recorder)
	if err != nil {
		return nil, fmt.Errorf("resource selector: %w", err)
	}

	var rejected []string
	sms, err := selector.SelectServiceMonitors(ctx, lister(c.serviceMonitors))
	if err != nil {
		return nil, err
	}
	rejected = append(rejected, rejectedKeys("ServiceMonitor", keysOf(sms), sms.ValidResources())...)
	pms, err := selector.SelectPodMonitors(ctx, lister(c.podMonitors))
	if err != nil {
		return nil, err
	}
	rejected = append(rejected, rejectedKeys("PodMonitor", keysOf(pms), pms.ValidResources())...)
	prs, err := selector.SelectProbes(ctx, lister(c.probes))
	if err != nil {
		return nil, err
	}
	rejected = append(rejected, rejectedKeys("Probe", keysOf(prs), prs.ValidResources())...)
	scs, err := selector.SelectScrapeConfigs(ctx, lister(c.scrapeConfigs))
	if err != nil {
		return nil, err
	}
	rejected = append(rejected, rejectedKeys("ScrapeConfig", keysOf(scs), scs.ValidResources())...)
	sort.Strings(rejected)

	cfg, err := gen.GenerateServerConfiguration(prom, sms.ValidResources(), pms.ValidResources(), prs.ValidResources(), scs.ValidResources(), store, nil, nil, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return yaml.Marshal(Output{Config: string(cfg), Rejected: rejected})
}

func keysOf[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func rejectedKeys[T any](kind string, all []string, valid map[string]T) []string {
	var out []string
	for _, k := range all {
		if _, ok := valid[k]; !ok {
			out = append(out, kind+"/"+k)
		}
	}
	return out
}

// lister serves the corpus to the resource selector as an informer's ListAllByNamespace would.
func lister[T metav1.Object](objs []T) prometheus.ListAllByNamespaceFn {
	return func(ns string, sel labels.Selector, appendFn cache.AppendFunc) error {
		for _, o := range objs {
			if o.GetNamespace() == ns && sel.Matches(labels.Set(o.GetLabels())) {
				appendFn(o)
			}
		}
		return nil
	}
}

func readCorpus(dir string) (*corpus, error) {
	c := &corpus{namespaces: map[string]bool{"collectors": true}}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if filepath.Base(f) == "settings.yaml" {
			if err := yaml.UnmarshalStrict(data, &c.settings); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		if err := c.add(data); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return c, nil
}

func (c *corpus) add(data []byte) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return err
		}
		var obj metav1.Object
		switch meta.Kind {
		case "Secret":
			obj, err = decode[corev1.Secret](doc, &c.kube)
		case "ConfigMap":
			obj, err = decode[corev1.ConfigMap](doc, &c.kube)
		case "ServiceMonitor":
			obj, err = decode[monitoringv1.ServiceMonitor](doc, &c.serviceMonitors)
		case "PodMonitor":
			obj, err = decode[monitoringv1.PodMonitor](doc, &c.podMonitors)
		case "Probe":
			obj, err = decode[monitoringv1.Probe](doc, &c.probes)
		case "ScrapeConfig":
			obj, err = decode[monitoringv1alpha1.ScrapeConfig](doc, &c.scrapeConfigs)
		default:
			return fmt.Errorf("unexpected kind %q", meta.Kind)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", meta.Kind, err)
		}
		if obj.GetNamespace() == "" {
			return fmt.Errorf("%s %s without a namespace", meta.Kind, obj.GetName())
		}
		c.namespaces[obj.GetNamespace()] = true
	}
}

// decode reads one document strictly (a misspelt field in the corpus would otherwise test
// nothing) and appends it to list.
func decode[T any, PT interface {
	*T
	metav1.Object
}, L any](doc []byte, list *[]L) (metav1.Object, error) {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return nil, err
	}
	p := PT(&v)
	*list = append(*list, any(p).(L))
	return p, nil
}
