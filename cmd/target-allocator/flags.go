package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/logformat"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// defaultResponseCache keeps every response of 100k targets assembled (about 95 MB at 17 labels a target) and
// a few of a million.
const defaultResponseCache = "256Mi"

type options struct {
	// logFormat is --log-format (text or json); logVerbosity is klog's -v, which the JSON sink needs too.
	logFormat, logVerbosity string
	configFile              string
	readyTimeout            time.Duration
	// pprof serves /debug/pprof on the HTTP listener.
	pprof bool
	// printVersion prints the build's version and exits.
	printVersion bool
	// responseCache is --response-cache-size in bytes; responseCacheSet says it was given (else a memory limit
	// caps the default).
	responseCache    int64
	responseCacheSet bool
	// overrides are the flags that replace config file values, nil where not given.
	overrides taconfig.Overrides
	// notApplicable lists flags accepted for drop-in use that change nothing here, to be logged at warning.
	notApplicable []string
}

// parseFlags reads the command line with GNU-style flags (pflag), the reference's flag set plus ours. klog's
// flags (-v, --vmodule, ...) are available too; the reference's --zap-log-level maps onto klog's verbosity.
func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("target-allocator", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&o.configFile, "config-file", "/conf/targetallocator.yaml", "the target allocator's config file")
	listenAddr := fs.String("listen-addr", taconfig.DefaultListenAddr, "HTTP listen address; overrides listen_addr of the config file")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file; overrides kube_config_file_path; empty: in-cluster, else ~/.kube/config")
	kubeconfigPath := fs.String("kubeconfig-path", "", "the reference's name of --kubeconfig")
	promCR := fs.Bool("enable-prometheus-cr-watcher", false,
		"watch ServiceMonitors, PodMonitors, Probes and ScrapeConfigs (sets prometheus_cr.enabled)")
	httpsEnabled := fs.Bool("enable-https-server", false, "serve the mTLS listener that may serve credentials (sets https.enabled)")
	httpsAddr := fs.String("listen-addr-https", taconfig.DefaultHTTPSListenAddr, "HTTPS listen address (sets https.listen_addr)")
	httpsCA := fs.String("https-ca-file", "", "CA that signs client certificates of the HTTPS listener (sets https.ca_file_path)")
	httpsCert := fs.String("https-tls-cert-file", "", "HTTPS server certificate (sets https.tls_cert_file_path)")
	httpsKey := fs.String("https-tls-key-file", "", "HTTPS server key (sets https.tls_key_file_path)")
	insecure := fs.Bool("allow-insecure-auth-secrets", false,
		"serve credentials on plain HTTP /scrape_configs (sets allow_insecure_auth_secrets; also env "+taconfig.InsecureAuthSecretsEnv+"=true); discouraged")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 30*time.Second,
		"longest wait for jobs whose discovery delivers nothing before /readyz turns 200 anyway")
	fs.BoolVar(&o.pprof, "enable-pprof", false, "serve Go's profiling endpoints at /debug/pprof on the HTTP listener")
	fs.BoolVar(&o.printVersion, "version", false, "print the version, commit and Go version, then exit")
	responseCache := fs.String("response-cache-size", defaultResponseCache,
		"memory for http_sd responses kept assembled (a quantity: 256Mi, 1Gi, 0 for none); others are written from the targets on each request. Unset, at most an eighth of GOMEMLIMIT")

	zapLevel := fs.String("zap-log-level", "", "reference logging flag: debug, info, error or an integer; debug and N>0 set klog's -v (1 and N)")
	zapDevel := fs.Bool("zap-devel", false, "reference logging flag, accepted and ignored (klog formats the logs)")
	zapEncoder := fs.String("zap-encoder", "", "reference logging flag: json means --log-format=json, other values are accepted and ignored")
	zapStack := fs.String("zap-stacktrace-level", "", "reference logging flag, accepted and ignored")
	zapTime := fs.String("zap-time-encoding", "", "reference logging flag, accepted and ignored")
	featureGates := fs.String("feature-gates", "", "reference flag for its feature gates, accepted and ignored")

	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	fs.AddGoFlagSet(klogFlags)
	fs.StringVar(&o.logFormat, "log-format", logformat.Text, "log format: text (klog lines) or json (one JSON object per line)")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.readyTimeout <= 0 {
		return nil, fmt.Errorf("--ready-timeout must be positive, got %s", o.readyTimeout)
	}
	q, err := resource.ParseQuantity(*responseCache)
	if err != nil || q.Sign() < 0 || q.CmpInt64(math.MaxInt64) > 0 {
		return nil, fmt.Errorf("--response-cache-size %q: want a non-negative quantity such as 256Mi", *responseCache)
	}
	o.responseCache, o.responseCacheSet = q.Value(), fs.Changed("response-cache-size")
	if fs.Changed("kubeconfig") && fs.Changed("kubeconfig-path") && *kubeconfig != *kubeconfigPath {
		return nil, fmt.Errorf("--kubeconfig %q and --kubeconfig-path %q differ", *kubeconfig, *kubeconfigPath)
	}
	if fs.Changed("kubeconfig-path") {
		kubeconfig = kubeconfigPath
	}

	ov := &o.overrides
	setIf(fs, "listen-addr", &ov.ListenAddr, listenAddr)
	if fs.Changed("kubeconfig") || fs.Changed("kubeconfig-path") {
		ov.KubeConfigFilePath = kubeconfig
	}
	setIf(fs, "enable-prometheus-cr-watcher", &ov.PrometheusCREnabled, promCR)
	setIf(fs, "enable-https-server", &ov.HTTPSEnabled, httpsEnabled)
	setIf(fs, "listen-addr-https", &ov.HTTPSListenAddr, httpsAddr)
	setIf(fs, "https-ca-file", &ov.HTTPSCAFilePath, httpsCA)
	setIf(fs, "https-tls-cert-file", &ov.HTTPSTLSCertFilePath, httpsCert)
	setIf(fs, "https-tls-key-file", &ov.HTTPSTLSKeyFilePath, httpsKey)
	setIf(fs, "allow-insecure-auth-secrets", &ov.AllowInsecureAuthSecrets, insecure)

	if fs.Changed("zap-log-level") && !fs.Changed("v") {
		v, note, err := zapLevelToKlog(*zapLevel)
		if err != nil {
			return nil, err
		}
		if err := klogFlags.Set("v", strconv.Itoa(v)); err != nil {
			return nil, err
		}
		if note != "" {
			o.notApplicable = append(o.notApplicable, note)
		}
	}
	// The reference operator's --zap-encoder=json asks for JSON lines, which --log-format=json gives.
	switch {
	case !fs.Changed("zap-encoder"):
	case *zapEncoder == "json":
		if !fs.Changed("log-format") {
			o.logFormat = logformat.JSON
		}
	default:
		o.notApplicable = append(o.notApplicable, fmt.Sprintf("--zap-encoder=%s (the target allocator logs klog text or, with --log-format=json, JSON)", *zapEncoder))
	}
	if err := logformat.Check(o.logFormat); err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	o.logVerbosity = klogFlags.Lookup("v").Value.String()
	for name, v := range map[string]string{"zap-stacktrace-level": *zapStack,
		"zap-time-encoding": *zapTime, "feature-gates": *featureGates, "zap-devel": strconv.FormatBool(*zapDevel)} {
		if fs.Changed(name) {
			o.notApplicable = append(o.notApplicable, fmt.Sprintf("--%s=%s (the target allocator logs with klog)", name, v))
		}
	}
	return o, nil
}

func setIf[T any](fs *pflag.FlagSet, name string, dst **T, v *T) {
	if fs.Changed(name) {
		*dst = v
	}
}

// zapLevelToKlog maps a zap level as controller-runtime parses it onto klog's verbosity: debug is logr's V(1),
// an integer N is V(N); info and above keep verbosity 0. klog always prints info lines, so error and panic are
// noted as not applicable.
func zapLevelToKlog(level string) (int, string, error) {
	switch strings.ToLower(level) {
	case "debug":
		return 1, "", nil
	case "info":
		return 0, "", nil
	case "error", "panic", "dpanic", "fatal", "warn":
		return 0, "--zap-log-level=" + level + " (klog prints info lines at verbosity 0 regardless)", nil
	}
	n, err := strconv.Atoi(level)
	if err != nil || n < 0 {
		return 0, "", fmt.Errorf("--zap-log-level %q: want debug, info, error or a non-negative integer", level)
	}
	return n, "", nil
}
