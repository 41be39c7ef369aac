//go:build sd_minimal

package taconfig

// With the build tag sd_minimal the binary links only the mechanisms that need no cloud SDK (kubernetes, file,
// http, dns, static). Release builds never set it; it exists for machines that cannot compile the cloud SDKs (their
// largest packages need more than 2 GB to compile), such as a shared benchmark host. Measured RSS differs from a
// release build by the size of the cloud SDK code, tens of MB.
import (
	_ "github.com/prometheus/prometheus/discovery/dns"
	_ "github.com/prometheus/prometheus/discovery/file"
	_ "github.com/prometheus/prometheus/discovery/http"
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
)
