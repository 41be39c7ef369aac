// Package conformance proves that pkg/promcr turns monitoring resources into the same scrape
// configs as the Prometheus Operator's own generator, configured as the reference
// OpenTelemetry target allocator configures it.
//
// The generator (github.com/prometheus-operator/prometheus-operator/pkg/prometheus) does not
// build against the prometheus module of this project: its dependency prom-label-proxy uses
// parser options that later prometheus releases removed. It therefore runs as a small program
// in a module of its own (generator/, pinning the prometheus release the generator builds
// with), started with `go run`; Go caches the built program, so only the first run pays for
// the build. Both outputs are loaded with prometheus' config.Load and compared job by job,
// after removing only the differences listed in deliberateDifferences and
// rejectedOnlyByUs below.
package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	commonconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	// Every discovery kind registers itself, so config.Load reads any of them.
	_ "github.com/prometheus/prometheus/discovery/install"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

const corpusDir = "testdata"

// deliberateDifference is one documented way our output differs from the Prometheus Operator's
// on purpose. normalize rewrites the upstream job so that, if the difference is the only one,
// it equals ours. It must change nothing else.
type deliberateDifference struct {
	name   string
	reason string
	// normalize returns whether it changed the upstream job, so the test can report which
	// differences the corpus actually exercises (a listed difference that never applies is
	// reported as stale).
	normalize func(upstream *config.ScrapeConfig) bool
}

var deliberateDifferences = []deliberateDifference{
	{
		name: "no sharding rules",
		reason: "the Prometheus Operator shards each Prometheus by hashing __address__ (a Probe's __param_target) " +
			"into __tmp_hash and keeping $(SHARD), an environment variable of its StatefulSet; the TA is the only " +
			"sharder here, and a collector would keep the literal $(SHARD) and drop every target",
		normalize: func(u *config.ScrapeConfig) bool {
			before := len(u.RelabelConfigs)
			u.RelabelConfigs = slices.DeleteFunc(u.RelabelConfigs, func(r *relabel.Config) bool {
				return isShardingRule(r)
			})
			return len(u.RelabelConfigs) != before
		},
	},
	{
		name: "Probe prober.path defaults to /probe",
		reason: "the Probe CRD defaults spec.prober.path to /probe, so every Probe read from the API server has it; " +
			"the corpus bypasses API defaulting, and the Prometheus Operator then writes an empty metrics_path " +
			"where we apply the CRD's default",
		normalize: func(u *config.ScrapeConfig) bool {
			if strings.HasPrefix(u.JobName, "probe/") && u.MetricsPath == "" {
				u.MetricsPath = "/probe"
				return true
			}
			return false
		},
	},
}

// canonical makes equal jobs marshal equally. It changes no meaning: a relabel rule's regex
// `(.*)` is Prometheus' default, which its marshaller omits only when it is the very default
// value (rules we build start from it; the generator spells it out and the loader parses it
// anew).
func canonical(sc *config.ScrapeConfig) {
	for _, rules := range [][]*relabel.Config{sc.RelabelConfigs, sc.MetricRelabelConfigs} {
		for _, r := range rules {
			if r.Regex.Regexp != nil && r.Regex.String() == relabel.DefaultRelabelConfig.Regex.String() {
				r.Regex = relabel.DefaultRelabelConfig.Regex
			}
		}
	}
}

// isShardingRule matches exactly the three rules the Prometheus Operator (v0.93) appends for
// sharding: copy the shard key into __tmp_hash unless set, hash it, keep this shard's targets
// unless __tmp_disable_sharding is set.
func isShardingRule(r *relabel.Config) bool {
	src := make([]string, len(r.SourceLabels))
	for i, l := range r.SourceLabels {
		src[i] = string(l)
	}
	switch {
	case r.Action == relabel.Replace && r.TargetLabel == "__tmp_hash" && r.Regex.String() == "(.+);":
		// __address__ for monitors and ScrapeConfigs, __param_target for Probes.
		return slices.Equal(src, []string{"__address__", "__tmp_hash"}) ||
			slices.Equal(src, []string{"__param_target", "__tmp_hash"})
	case r.Action == relabel.HashMod:
		return r.TargetLabel == "__tmp_hash" && slices.Equal(src, []string{"__tmp_hash"})
	case r.Action == relabel.Keep:
		return slices.Equal(src, []string{"__tmp_hash", "__tmp_disable_sharding"}) && r.Regex.String() == "$(SHARD);|.+;.+"
	}
	return false
}

// rejectedOnlyByUs lists resources of the corpus that our converter rejects and the Prometheus
// Operator accepts, each with the reason.
var rejectedOnlyByUs = map[string]string{
	"ScrapeConfig/team-b/docker-sd": "only the static, file, http, kubernetes, DNS, Consul, EC2, Azure, GCE and " +
		"OpenStack discovery kinds are converted; another kind is rejected with an error naming it rather than " +
		"converted without review",
}

// settings are the TA's prometheus_cr keys both sides run with (testdata/settings.yaml).
type settings struct {
	ScrapeInterval string                     `json:"scrape_interval"`
	ScrapeClasses  []monitoringv1.ScrapeClass `json:"scrape_classes"`
}

// generatorOutput is what the generator program prints.
type generatorOutput struct {
	Config   string   `json:"config"`
	Rejected []string `json:"rejected"`
}

func TestConformance(t *testing.T) {
	upstream := runGenerator(t)
	upstreamCfg, err := config.Load(upstream.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("loading the generator's configuration: %v\n%s", err, upstream.Config)
	}

	res, opts := readCorpus(t)
	total := len(res.ServiceMonitors) + len(res.PodMonitors) + len(res.Probes) + len(res.ScrapeConfigs)
	if total < 60 {
		t.Fatalf("corpus holds %d monitoring resources, want at least 60", total)
	}
	ours := promcr.Generate(res, opts)
	oursCfg := loadOurs(t, ours.ScrapeConfigs, upstreamCfg.GlobalConfig)

	// Rejections: the same resources must be refused, except the documented ones.
	var oursRejected []string
	for _, e := range ours.Errors {
		oursRejected = append(oursRejected, e.Kind+"/"+e.Namespace+"/"+e.Name)
		t.Logf("rejected by us: %v", e)
	}
	sort.Strings(oursRejected)
	wantRejected := slices.Clone(upstream.Rejected)
	for key := range rejectedOnlyByUs {
		if slices.Contains(wantRejected, key) {
			t.Errorf("%s is listed in rejectedOnlyByUs but the Prometheus Operator rejects it too", key)
		}
		wantRejected = append(wantRejected, key)
	}
	sort.Strings(wantRejected)
	if diff := cmp.Diff(wantRejected, oursRejected); diff != "" {
		t.Errorf("rejected resources differ (-upstream +ours):\n%s", diff)
	}

	// Jobs: the same job names, identical after normalisation.
	upJobs := byJob(t, "upstream", upstreamCfg.ScrapeConfigs)
	ourJobs := byJob(t, "ours", oursCfg.ScrapeConfigs)
	applied := map[string]int{}
	identical, names := 0, unionKeys(upJobs, ourJobs)
	for _, name := range names {
		u, o := upJobs[name], ourJobs[name]
		switch {
		case u == nil:
			t.Errorf("job %q: only ours has it", name)
			continue
		case o == nil:
			if resourceOfJobRejectedOnlyByUs(name) {
				continue
			}
			t.Errorf("job %q: only the Prometheus Operator has it", name)
			continue
		}
		for _, d := range deliberateDifferences {
			if d.normalize(u) {
				applied[d.name]++
			}
		}
		canonical(u)
		canonical(o)
		uy, oy := marshalJob(t, u), marshalJob(t, o)
		if uy == oy {
			identical++
			continue
		}
		t.Errorf("job %q differs (-upstream +ours):\n%s", name, cmp.Diff(uy, oy))
	}
	for _, d := range deliberateDifferences {
		if applied[d.name] == 0 {
			t.Errorf("deliberate difference %q never applied: the corpus no longer exercises it, or it is stale", d.name)
		}
	}
	compared := 0
	for _, name := range names {
		if upJobs[name] != nil && ourJobs[name] != nil {
			compared++
		}
	}
	t.Logf("resources %d (upstream rejected %d, we rejected %d); jobs identical %d / %d compared (upstream %d, ours %d); deliberate differences applied: %v",
		total, len(upstream.Rejected), len(oursRejected), identical, compared, len(upJobs), len(ourJobs), applied)
}

// resourceOfJobRejectedOnlyByUs tells whether an upstream job belongs to a resource listed in
// rejectedOnlyByUs (job names are <kind>/<namespace>/<name>[/<index>]).
func resourceOfJobRejectedOnlyByUs(job string) bool {
	parts := strings.Split(job, "/")
	if len(parts) < 3 {
		return false
	}
	kind := map[string]string{
		"serviceMonitor": "ServiceMonitor", "podMonitor": "PodMonitor", "probe": "Probe", "scrapeConfig": "ScrapeConfig",
	}[parts[0]]
	_, ok := rejectedOnlyByUs[kind+"/"+parts[1]+"/"+parts[2]]
	return ok
}

// runGenerator runs the generator module on the corpus. `go run` keeps the built program in
// Go's build cache, so the cost of building the Prometheus Operator's generator is paid once.
func runGenerator(t *testing.T) generatorOutput {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the conformance test needs the go command to run the generator module: %v", err)
	}
	corpus, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", ".", corpus)
	cmd.Dir = "generator"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("running the generator module: %v\n%s", err, stderr.String())
	}
	t.Logf("generator ran in %v", time.Since(start).Round(time.Millisecond))
	var out generatorOutput
	if err := sigsyaml.UnmarshalStrict(stdout.Bytes(), &out); err != nil {
		t.Fatalf("reading the generator's output: %v", err)
	}
	return out
}

// loadOurs writes our jobs as a Prometheus configuration, under the same global section as
// the generator's (the reference TA reads jobs under that global, so unset intervals and
// timeouts resolve alike), and loads it with config.Load like the generator's output.
func loadOurs(t *testing.T, scs []*config.ScrapeConfig, global config.GlobalConfig) *config.Config {
	t.Helper()
	commonconfig.MarshalSecretValue = true
	t.Cleanup(func() { commonconfig.MarshalSecretValue = false })
	g := config.GlobalConfig{ScrapeInterval: global.ScrapeInterval, ScrapeTimeout: global.ScrapeTimeout,
		EvaluationInterval: global.EvaluationInterval}
	out, err := yaml.Marshal(struct {
		Global        config.GlobalConfig    `yaml:"global"`
		ScrapeConfigs []*config.ScrapeConfig `yaml:"scrape_configs"`
	}{g, scs})
	if err != nil {
		t.Fatalf("marshalling our scrape configs: %v", err)
	}
	cfg, err := config.Load(string(out), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("loading our configuration: %v\n%s", err, out)
	}
	return cfg
}

// marshalJob renders one loaded job with secrets in clear, so that credentials are compared too.
func marshalJob(t *testing.T, sc *config.ScrapeConfig) string {
	t.Helper()
	commonconfig.MarshalSecretValue = true
	defer func() { commonconfig.MarshalSecretValue = false }()
	out, err := yaml.Marshal(sc)
	if err != nil {
		t.Fatalf("marshalling job %q: %v", sc.JobName, err)
	}
	return string(out)
}

func byJob(t *testing.T, side string, scs []*config.ScrapeConfig) map[string]*config.ScrapeConfig {
	t.Helper()
	m := make(map[string]*config.ScrapeConfig, len(scs))
	for _, sc := range scs {
		if _, dup := m[sc.JobName]; dup {
			t.Errorf("%s: job %q twice", side, sc.JobName)
		}
		m[sc.JobName] = sc
	}
	return m
}

func unionKeys(a, b map[string]*config.ScrapeConfig) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// readCorpus reads testdata as the TA would see it: the monitoring resources, the Secrets and
// ConfigMaps they reference, and the prometheus_cr settings.
func readCorpus(t *testing.T) (promcr.Resources, promcr.Options) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		res        promcr.Resources
		set        settings
		secrets    = map[string]string{}
		configMaps = map[string]string{}
	)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "settings.yaml" {
			if err := sigsyaml.UnmarshalStrict(data, &set); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			continue
		}
		if err := forEachDocument(data, func(kind string, doc []byte) error {
			switch kind {
			case "Secret":
				var s corev1.Secret
				if err := sigsyaml.UnmarshalStrict(doc, &s); err != nil {
					return err
				}
				for k, v := range s.Data {
					secrets[s.Namespace+"/"+s.Name+"/"+k] = string(v)
				}
				for k, v := range s.StringData {
					secrets[s.Namespace+"/"+s.Name+"/"+k] = v
				}
			case "ConfigMap":
				var c corev1.ConfigMap
				if err := sigsyaml.UnmarshalStrict(doc, &c); err != nil {
					return err
				}
				for k, v := range c.Data {
					configMaps[c.Namespace+"/"+c.Name+"/"+k] = v
				}
			case "ServiceMonitor":
				return decodeInto[monitoringv1.ServiceMonitor](doc, &res.ServiceMonitors)
			case "PodMonitor":
				return decodeInto[monitoringv1.PodMonitor](doc, &res.PodMonitors)
			case "Probe":
				return decodeInto[monitoringv1.Probe](doc, &res.Probes)
			case "ScrapeConfig":
				return decodeInto[monitoringv1alpha1.ScrapeConfig](doc, &res.ScrapeConfigs)
			default:
				return fmt.Errorf("unexpected kind %q", kind)
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	interval, err := model.ParseDuration(set.ScrapeInterval)
	if err != nil {
		t.Fatalf("settings.yaml: scrape_interval: %v", err)
	}
	if err := promcr.ValidateScrapeClasses(set.ScrapeClasses); err != nil {
		t.Fatalf("settings.yaml: scrape_classes: %v", err)
	}
	lookup := func(m map[string]string, what string) func(ns, name, key string) (string, error) {
		return func(ns, name, key string) (string, error) {
			v, ok := m[ns+"/"+name+"/"+key]
			if !ok {
				return "", fmt.Errorf("%s %s/%s has no key %q", what, ns, name, key)
			}
			return v, nil
		}
	}
	return res, promcr.Options{
		ScrapeInterval: interval,
		// The reference TA runs the generator with the EndpointSlice role.
		ServiceDiscoveryRole: monitoringv1.ServiceDiscoveryRole("EndpointSlice"),
		ScrapeClasses:        set.ScrapeClasses,
		// The reference TA's deny_fs_access_through_sms defaults to false; ours refuses file
		// paths by default. Conformance is measured with the reference's setting.
		AllowFileAccess: true,
		Secrets:         lookup(secrets, "Secret"),
		ConfigMaps:      lookup(configMaps, "ConfigMap"),
	}
}

// decodeInto reads one resource strictly (a misspelt field would otherwise test nothing).
func decodeInto[T any](doc []byte, list *[]*T) error {
	v := new(T)
	if err := sigsyaml.UnmarshalStrict(doc, v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

func forEachDocument(data []byte, fn func(kind string, doc []byte) error) error {
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
		if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
			return err
		}
		if err := fn(meta.Kind, doc); err != nil {
			return fmt.Errorf("%s: %w", meta.Kind, err)
		}
	}
}
