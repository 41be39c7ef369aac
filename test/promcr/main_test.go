// Package promcr_test runs the target allocator binary with prometheus_cr enabled against a real API server with
// the monitoring.coreos.com CRDs installed (generated from the Prometheus Operator's Go types into test/crds):
// monitors created, changed and deleted in the API change the jobs the TA serves within seconds.
package promcr_test

import (
	"os"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

var suite taprocess.Suite

func TestMain(m *testing.M) { os.Exit(taprocess.Run(m, &suite, "test/crds/monitoring")) }
