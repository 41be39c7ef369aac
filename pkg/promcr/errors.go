package promcr

import (
	"errors"
	"fmt"
)

// ErrNotSupported marks resources whose kind this package selects but cannot convert yet.
var ErrNotSupported = errors.New("not supported yet")

// Kinds of the monitoring.coreos.com resources, as they appear in errors and job names.
const (
	KindServiceMonitor = "ServiceMonitor"
	KindPodMonitor     = "PodMonitor"
	KindProbe          = "Probe"
	KindScrapeConfig   = "ScrapeConfig"
)

// ResourceError reports why one resource produced no scrape configs. It names the resource
// so the caller can surface it (status condition, Event, metric) without parsing text.
type ResourceError struct {
	Kind      string
	Namespace string
	Name      string
	Err       error
}

func (e *ResourceError) Error() string {
	return fmt.Sprintf("%s %s/%s: %v", e.Kind, e.Namespace, e.Name, e.Err)
}

func (e *ResourceError) Unwrap() error { return e.Err }

func resourceError(kind, namespace, name string, err error) *ResourceError {
	return &ResourceError{Kind: kind, Namespace: namespace, Name: name, Err: err}
}
