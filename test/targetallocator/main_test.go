// Package targetallocator_test runs the target allocator binary against a real API server: collector pods are
// API objects marked Running and Ready, targets come from static configs and from kubernetes SD over pods and
// EndpointSlices created in the API, and Prometheus' own http_sd client polls every collector's URL.
package targetallocator_test

import (
	"os"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

var suite taprocess.Suite

func TestMain(m *testing.M) { os.Exit(taprocess.Run(m, &suite)) }

func startTA(t *testing.T, namespace, config string) string {
	t.Helper()
	return suite.StartTA(t, namespace, config)
}
