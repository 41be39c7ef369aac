package taconfig

import (
	"fmt"
	"os"
	"strconv"
)

// InsecureAuthSecretsEnv, set to a true value, turns on allow_insecure_auth_secrets, as in the reference.
const InsecureAuthSecretsEnv = "ALLOW_INSECURE_AUTH_SECRETS"

// Overrides are command-line settings that replace what the file says; a nil field leaves the file's value. The
// reference reads the file, then the environment, then the flags, and validates the result, so a flag can
// supply what the file lacks (--enable-prometheus-cr-watcher for a file without jobs, the https flags for a file
// without an https block).
type Overrides struct {
	ListenAddr               *string
	KubeConfigFilePath       *string
	PrometheusCREnabled      *bool
	HTTPSEnabled             *bool
	HTTPSListenAddr          *string
	HTTPSCAFilePath          *string
	HTTPSTLSCertFilePath     *string
	HTTPSTLSKeyFilePath      *string
	AllowInsecureAuthSecrets *bool
}

// LoadWith reads the file at path, applies the environment (OTELCOL_NAMESPACE, ALLOW_INSECURE_AUTH_SECRETS),
// then the overrides, and validates the result.
func LoadWith(path string, o Overrides) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading target allocator config: %w", err)
	}
	return ParseWith(path, data, os.Getenv, o)
}

// ParseWith is LoadWith on file content; getenv nil means no environment.
func ParseWith(path string, data []byte, getenv func(string) string, o Overrides) (*Config, error) {
	c, err := parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if getenv != nil {
		if ns := getenv(NamespaceEnv); ns != "" {
			c.CollectorNamespace = ns
		}
		if v := getenv(InsecureAuthSecretsEnv); v != "" {
			allow, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("environment %s=%q: not a boolean", InsecureAuthSecretsEnv, v)
			}
			c.AllowInsecureAuthSecrets = allow
		}
	}
	o.apply(c)
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.NotApplicable = c.notApplicable()
	return c, nil
}

func (o Overrides) apply(c *Config) {
	set(&c.ListenAddr, o.ListenAddr)
	set(&c.KubeConfigFilePath, o.KubeConfigFilePath)
	set(&c.PrometheusCR.Enabled, o.PrometheusCREnabled)
	set(&c.HTTPS.Enabled, o.HTTPSEnabled)
	set(&c.HTTPS.ListenAddr, o.HTTPSListenAddr)
	set(&c.HTTPS.CAFilePath, o.HTTPSCAFilePath)
	set(&c.HTTPS.TLSCertFilePath, o.HTTPSTLSCertFilePath)
	set(&c.HTTPS.TLSKeyFilePath, o.HTTPSTLSKeyFilePath)
	set(&c.AllowInsecureAuthSecrets, o.AllowInsecureAuthSecrets)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
