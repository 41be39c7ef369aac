package main

import (
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// loadConfig reads the config file, then the environment, then the flags that override it, and validates the
// result, in the reference's order: --enable-prometheus-cr-watcher makes a file without jobs valid.
func loadConfig(o *options) (*taconfig.Config, error) {
	return taconfig.LoadWith(o.configFile, o.overrides)
}
