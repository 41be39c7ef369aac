package configrewrite

import "fmt"

// Kind classifies an *Error. Its values are CamelCase so that the operator can use them
// unchanged as the Reason of a Kubernetes condition.
type Kind string

const (
	// KindInvalidOptions: the caller's Options or TAOptions cannot produce a valid config.
	KindInvalidOptions Kind = "InvalidOptions"
	// KindInvalidYAML: the config is not YAML (the message carries the line).
	KindInvalidYAML Kind = "InvalidYAML"
	// KindInvalidConfig: the YAML parses but a section we must read has the wrong shape.
	KindInvalidConfig Kind = "InvalidConfig"
	// KindNoPrometheusReceiver: a TA is enabled but nothing would use it.
	KindNoPrometheusReceiver Kind = "NoPrometheusReceiver"
	// KindScrapeConfigsNotList: scrape_configs is present but not a sequence.
	KindScrapeConfigsNotList Kind = "ScrapeConfigsNotList"
	// KindMissingJobName: a scrape config has no (or an empty, or a non-string) job_name.
	KindMissingJobName Kind = "MissingJobName"
	// KindDuplicateJobName: two scrape configs share a job name; the TA routes by job name,
	// so the name must be unique across all prometheus receivers.
	KindDuplicateJobName Kind = "DuplicateJobName"
	// KindScrapeConfigFiles: scrape_config_files cannot be read by the operator, so the TA
	// would never see those jobs.
	KindScrapeConfigFiles Kind = "ScrapeConfigFilesUnsupported"
	// KindInvalidScrapeConfig: Prometheus' own config parser rejects a scrape config or global.
	KindInvalidScrapeConfig Kind = "InvalidScrapeConfig"
	// KindFileAccess: a scrape config names a file of the pod (a credentials, TLS or
	// kubeconfig file, file_sd files, ...) and Options.AllowFileAccess is off.
	KindFileAccess Kind = "FileAccessNotAllowed"
)

// Error is the only error type the package returns. Its message is complete and written
// for a user, so it can go verbatim into a condition message; Kind says what went wrong.
type Error struct {
	Kind Kind
	err  error
}

func (e *Error) Error() string { return e.err.Error() }

// Unwrap gives access to the underlying cause (a yaml or Prometheus error), if any.
func (e *Error) Unwrap() error { return e.err }

// errorf builds an *Error; a %w verb in format wraps the cause.
func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, err: fmt.Errorf(format, args...)}
}
