//go:build !sd_minimal

package taconfig

// Prometheus parses *_sd_configs only for registered mechanisms; register all of them so that any scrape config a
// user writes is accepted and validated here.
import _ "github.com/prometheus/prometheus/discovery/install"
