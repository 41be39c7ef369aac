package configrewrite

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestErrors checks every error: its Kind, and its whole message, since the operator puts the
// message verbatim into a condition.
func TestErrors(t *testing.T) {
	const pipelines = "service:\n  pipelines:\n    metrics:\n      receivers: [prometheus]\n"
	for _, tc := range []struct {
		name    string
		config  string
		opts    Options
		kind    Kind
		message string
	}{
		{
			name:    "invalid YAML names the line",
			config:  "receivers:\n  prometheus:\n    config: [\n",
			kind:    KindInvalidYAML,
			message: "collector config is not valid YAML: yaml: line 3: did not find expected node content",
		},
		{
			name:    "bad indentation",
			config:  "receivers:\n  prometheus:\n    config: a\n     b: c\n",
			kind:    KindInvalidYAML,
			message: "collector config is not valid YAML: yaml: line 4: mapping values are not allowed in this context",
		},
		{
			name:    "two documents",
			config:  "receivers: {}\n---\nreceivers: {}\n",
			kind:    KindInvalidYAML,
			message: "collector config has more than one YAML document (the second starts at line 2)",
		},
		{
			name:    "not a mapping",
			config:  "- receivers\n",
			kind:    KindInvalidConfig,
			message: "collector config must be a YAML mapping (line 1)",
		},
		{
			name:    "empty config",
			config:  "",
			kind:    KindNoPrometheusReceiver,
			message: `no prometheus receiver in the collector config; a target allocator needs a receiver named "prometheus" or "prometheus/<name>"`,
		},
		{
			name:    "no prometheus receiver",
			config:  "receivers:\n  otlp:\n    protocols:\n      grpc:\n  prometheus_simple:\n    endpoint: x:9090\n",
			kind:    KindNoPrometheusReceiver,
			message: `no prometheus receiver in the collector config; a target allocator needs a receiver named "prometheus" or "prometheus/<name>"`,
		},
		{
			name:    "duplicate key",
			config:  "receivers:\n  prometheus:\nreceivers:\n  otlp:\n",
			kind:    KindInvalidYAML,
			message: "collector config is not valid YAML: yaml: unmarshal errors:\n  line 3: mapping key \"receivers\" already defined at line 1",
		},
		{
			name:    "receiver config not a mapping",
			config:  "receivers:\n  prometheus/a:\n    config: [1]\n",
			kind:    KindInvalidConfig,
			message: `receiver "prometheus/a" config must be a mapping (line 3)`,
		},
		{
			name:    "scrape_configs not a list",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        job_name: a\n" + pipelines,
			kind:    KindScrapeConfigsNotList,
			message: `receiver "prometheus": scrape_configs must be a list of scrape configs, got a mapping (line 5)`,
		},
		{
			name:    "scrape config not a mapping",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - a\n",
			kind:    KindInvalidConfig,
			message: `receiver "prometheus": scrape config #1 must be a mapping, got "a" (line 5)`,
		},
		{
			name:    "job without job_name",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n        - scrape_interval: 5s\n          static_configs: [{targets: [x:1]}]\n",
			kind:    KindMissingJobName,
			message: `receiver "prometheus": scrape config #2 (line 6) has no job_name; every scrape config needs a unique job_name`,
		},
		{
			name:    "empty job_name",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: ''\n",
			kind:    KindMissingJobName,
			message: `receiver "prometheus": scrape config #1 (line 5) has no job_name; every scrape config needs a unique job_name`,
		},
		{
			name:    "duplicate job_name in one receiver",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n        - job_name: a\n",
			kind:    KindDuplicateJobName,
			message: `job_name "a" of receiver "prometheus" (line 6) is already used by the same receiver; job names must be unique across all prometheus receivers because the target allocator identifies jobs by name`,
		},
		{
			name: "duplicate job_name across receivers",
			config: "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n" +
				"  prometheus/x:\n    config:\n      scrape_configs:\n        - job_name: b\n        - job_name: a\n",
			kind:    KindDuplicateJobName,
			message: `job_name "a" of receiver "prometheus/x" (line 10) is already used by receiver "prometheus"; job names must be unique across all prometheus receivers because the target allocator identifies jobs by name`,
		},
		{
			name:    "duplicate job_name after $$ expansion",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a$b\n        - job_name: a$$b\n",
			kind:    KindDuplicateJobName,
			message: `job_name "a$b" of receiver "prometheus" (line 6) is already used by the same receiver; job names must be unique across all prometheus receivers because the target allocator identifies jobs by name`,
		},
		{
			name:    "scrape_config_files",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_config_files: [/etc/jobs/*.yaml]\n      scrape_configs:\n        - job_name: a\n",
			kind:    KindScrapeConfigFiles,
			message: `receiver "prometheus": scrape_config_files (line 4) is not supported with a target allocator, because the operator cannot read those files to give their jobs to the target allocator; move the scrape configs into scrape_configs`,
		},
		{
			name: "file names in a scrape config",
			config: "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n          bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n" +
				"          kubernetes_sd_configs: [{role: pod, api_server: 'http://198.51.100.1', authorization: {credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token}}]\n",
			kind:    KindFileAccess,
			message: `receiver "prometheus": job "a" names files of the pod, which its author may not choose: authorization.credentials_file ("/var/run/secrets/kubernetes.io/serviceaccount/token", opened by the collector), kubernetes_sd_configs[0].authorization.credentials_file ("/var/run/secrets/kubernetes.io/serviceaccount/token", opened by the target allocator); an administrator may allow file names in scrape configs with the operator flag --allow-scrape-config-files`,
		},
		{
			name:    "unknown field in a scrape config",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n          static_configs: [{targets: [x:1]}]\n          scrape_intervall: 5s\n",
			kind:    KindInvalidScrapeConfig,
			message: "receiver \"prometheus\": scrape config of job \"a\" is rejected by Prometheus: yaml: unmarshal errors:\n  line 7: field scrape_intervall not found in type config.ScrapeConfig",
		},
		{
			name:    "bad value in a scrape config",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n          scrape_interval: 5s\n          scrape_timeout: 10s\n",
			kind:    KindInvalidScrapeConfig,
			message: `receiver "prometheus": scrape config of job "a" is rejected by Prometheus: scrape timeout greater than scrape interval for scrape config with job name "a"`,
		},
		{
			name:    "bad regex in a relabel config",
			config:  "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n          relabel_configs:\n            - source_labels: [x]\n              regex: '(['\n",
			kind:    KindInvalidScrapeConfig,
			message: "receiver \"prometheus\": scrape config of job \"a\" is rejected by Prometheus: error parsing regexp: missing closing ]: `[)$`",
		},
		{
			name:    "bad global",
			config:  "receivers:\n  prometheus:\n    config:\n      global:\n        scrape_interval: often\n      scrape_configs:\n        - job_name: a\n",
			kind:    KindInvalidScrapeConfig,
			message: `receiver "prometheus": global is rejected by Prometheus: not a valid duration string: "often"`,
		},
		{
			name:    "empty collector name",
			config:  "receivers:\n  prometheus:\n",
			opts:    Options{CollectorName: ""},
			kind:    KindInvalidOptions,
			message: "collector name is empty",
		},
		{
			name:    "collector name not a DNS label",
			config:  "receivers:\n  prometheus:\n",
			opts:    Options{CollectorName: "My_Collector"},
			kind:    KindInvalidOptions,
			message: `collector name "My_Collector" does not give a valid target allocator service name "My_Collector-targetallocator": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		},
		{
			name:    "placeholder that breaks the URL",
			config:  "receivers:\n  prometheus:\n",
			opts:    Options{CollectorName: "c", CollectorIDPlaceholder: "a&b"},
			kind:    KindInvalidOptions,
			message: `collector id placeholder "a&b" must not contain spaces or any of & # ? /`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.kind != KindInvalidOptions {
				opts.CollectorName = "demo"
			}
			_, err := RewriteCollectorConfig(tc.config, opts)
			checkError(t, "RewriteCollectorConfig", err, tc.kind, tc.message)
			if tc.kind == KindInvalidOptions {
				return // TargetAllocatorConfig and ScrapeJobs take no Options
			}
			_, err = TargetAllocatorConfig(tc.config, TAOptions{})
			checkError(t, "TargetAllocatorConfig", err, tc.kind, tc.message)
			jobs, err := ScrapeJobs(tc.config)
			if tc.kind == KindFileAccess {
				// Job names do not depend on files; an administrator's flag lets the config through.
				if err != nil || len(jobs) != 1 {
					t.Errorf("ScrapeJobs = %q, %v; want the job and no error", jobs, err)
				}
				if _, err := RewriteCollectorConfig(tc.config, Options{CollectorName: "demo", AllowFileAccess: true}); err != nil {
					t.Errorf("RewriteCollectorConfig with AllowFileAccess: %v", err)
				}
				if _, err := TargetAllocatorConfig(tc.config, TAOptions{AllowFileAccess: true}); err != nil {
					t.Errorf("TargetAllocatorConfig with AllowFileAccess: %v", err)
				}
				return
			}
			if tc.kind == KindNoPrometheusReceiver {
				// ScrapeJobs serves configs without a TA too: no receiver, no jobs.
				if err != nil || len(jobs) != 0 {
					t.Errorf("ScrapeJobs = %q, %v; want no jobs and no error", jobs, err)
				}
				return
			}
			checkError(t, "ScrapeJobs", err, tc.kind, tc.message)
		})
	}
}

func checkError(t *testing.T, fn string, err error, kind Kind, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not a *Error", fn, err, err)
	}
	if e.Kind != kind {
		t.Errorf("%s: kind %q, want %q (%v)", fn, e.Kind, kind, err)
	}
	if diff := cmp.Diff(message, err.Error()); diff != "" {
		t.Errorf("%s: message (-want +got):\n%s", fn, diff)
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Errorf("%s: empty message", fn)
	}
}

// TestErrorUnwrap shows that the cause stays reachable through %w.
func TestErrorUnwrap(t *testing.T) {
	_, err := RewriteCollectorConfig("a: [", Options{CollectorName: "demo"})
	var e *Error
	if !errors.As(err, &e) || errors.Unwrap(e) == nil {
		t.Fatalf("want a *Error wrapping the yaml error, got %#v", err)
	}
}
