package taconfig

import (
	"errors"
	"fmt"
)

func (c *Config) validate() error {
	var errs []error
	if c.CollectorNamespace == "" {
		errs = append(errs, fmt.Errorf("collector_namespace is required (or set %s)", NamespaceEnv))
	}
	switch c.AllocationStrategy {
	case ConsistentHashing, LeastWeighted, PerNode:
	default:
		errs = append(errs, fmt.Errorf("allocation_strategy %q is not one of %s, %s, %s", c.AllocationStrategy, ConsistentHashing, LeastWeighted, PerNode))
	}
	switch c.AllocationFallbackStrategy {
	case "", ConsistentHashing, LeastWeighted:
	default:
		errs = append(errs, fmt.Errorf("allocation_fallback_strategy %q is not one of %s, %s", c.AllocationFallbackStrategy, ConsistentHashing, LeastWeighted))
	}
	if c.CollectorNotReadyGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("collector_not_ready_grace_period %v is negative", c.CollectorNotReadyGracePeriod))
	}
	switch c.Handoff.Mode {
	case HandoffMakeBeforeBreak, HandoffImmediate:
	default:
		errs = append(errs, fmt.Errorf("handoff.mode %q is not one of %s, %s", c.Handoff.Mode, HandoffMakeBeforeBreak, HandoffImmediate))
	}
	if c.Handoff.Margin < 0 || c.Handoff.DefaultRefreshInterval <= 0 || c.Handoff.MaxHold <= 0 {
		errs = append(errs, fmt.Errorf("handoff: margin must not be negative, default_refresh_interval and max_hold must be positive (got %v, %v, %v)",
			c.Handoff.Margin, c.Handoff.DefaultRefreshInterval, c.Handoff.MaxHold))
	}
	scs, err := c.ScrapeConfigs()
	if err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	} else if len(scs) == 0 && !c.PrometheusCR.Enabled {
		errs = append(errs, errors.New("no scrape configs in config.scrape_configs and prometheus_cr is not enabled: nothing to allocate"))
	}
	if len(c.PrometheusCR.AllowNamespaces) > 0 && len(c.PrometheusCR.DenyNamespaces) > 0 {
		errs = append(errs, errors.New("prometheus_cr.allow_namespaces and prometheus_cr.deny_namespaces are mutually exclusive"))
	}
	if c.PrometheusCR.Enabled && c.PrometheusCR.ScrapeInterval <= 0 {
		errs = append(errs, errors.New("prometheus_cr.scrape_interval must be positive"))
	}
	if c.HTTPS.Enabled && (c.HTTPS.TLSCertFilePath == "" || c.HTTPS.TLSKeyFilePath == "") {
		errs = append(errs, errors.New("https.enabled needs https.tls_cert_file_path and https.tls_key_file_path"))
	}
	return errors.Join(errs...)
}
