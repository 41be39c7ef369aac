package promcr

import (
	"errors"
	"fmt"
	"reflect"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/utils/ptr"
)

// ValidateScrapeClasses reports scrape classes the TA should refuse at start-up: an empty
// or repeated name, more than one default, relabelings Prometheus would not load, or an
// invalid TLS or authorization block. The classes come from the TA's own configuration
// (the administrator's), so their file paths are allowed.
func ValidateScrapeClasses(classes []monitoringv1.ScrapeClass) error {
	seen := map[string]bool{}
	defaultName := ""
	var errs []error
	for i, c := range classes {
		field := fmt.Sprintf("scrape_classes[%d]", i)
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("%s: empty name", field))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("%s: duplicate name %q", field, c.Name))
		}
		seen[c.Name] = true
		if ptr.Deref(c.Default, false) {
			if defaultName != "" {
				errs = append(errs, fmt.Errorf("%s: %q and %q are both the default; at most one may be", field, defaultName, c.Name))
			}
			defaultName = c.Name
		}
		if _, err := userRelabelConfigs(field+".relabelings", c.Relabelings); err != nil {
			errs = append(errs, err)
		}
		if _, err := userRelabelConfigs(field+".metricRelabelings", c.MetricRelabelings); err != nil {
			errs = append(errs, err)
		}
		if err := c.TLSConfig.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s.tlsConfig: %w", field, err))
		}
		if err := c.Authorization.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s.authorization: %w", field, err))
		}
		if p := c.FallbackScrapeProtocol; p != nil {
			if err := validateProtocol(*p); err != nil {
				errs = append(errs, fmt.Errorf("%s.fallbackScrapeProtocol: %w", field, err))
			}
		}
	}
	return errors.Join(errs...)
}

// scrapeClass is the class a resource gets, as the Prometheus Operator picks it: the named
// one (an unknown name rejects the resource), else the default class, else none.
func (o Options) scrapeClass(name *string) (monitoringv1.ScrapeClass, error) {
	if n := ptr.Deref(name, ""); n != "" {
		for _, c := range o.ScrapeClasses {
			if c.Name == n {
				return c, nil
			}
		}
		return monitoringv1.ScrapeClass{}, fmt.Errorf("scrapeClass %q not found in prometheus_cr.scrape_classes", n)
	}
	for _, c := range o.ScrapeClasses {
		if ptr.Deref(c.Default, false) {
			return c, nil
		}
	}
	return monitoringv1.ScrapeClass{}, nil
}

// mergeTLS completes a resource's TLS settings with its class's, as the Prometheus
// Operator does: without its own TLS block the resource takes the class's whole block;
// with one, only the CA, certificate and key files the resource leaves unset come from the
// class. Neither input is modified.
func mergeTLS(own *monitoringv1.TLSConfig, class monitoringv1.ScrapeClass) *monitoringv1.TLSConfig {
	if own == nil {
		return class.TLSConfig.DeepCopy()
	}
	if class.TLSConfig == nil {
		return own
	}
	out := own.DeepCopy()
	if out.CAFile == "" && out.CA == (monitoringv1.SecretOrConfigMap{}) {
		out.CAFile = class.TLSConfig.CAFile
	}
	if out.CertFile == "" && out.Cert == (monitoringv1.SecretOrConfigMap{}) {
		out.CertFile = class.TLSConfig.CertFile
	}
	if out.KeyFile == "" && out.KeySecret == nil {
		out.KeyFile = class.TLSConfig.KeyFile
	}
	return out
}

// mergeSafeTLS is mergeTLS for the resources whose TLS block has no file fields.
func mergeSafeTLS(own *monitoringv1.SafeTLSConfig, class monitoringv1.ScrapeClass) *monitoringv1.TLSConfig {
	if own == nil || reflect.ValueOf(*own).IsZero() {
		return mergeTLS(nil, class)
	}
	return mergeTLS(&monitoringv1.TLSConfig{SafeTLSConfig: *own}, class)
}

// classAuthorization is the authorization a resource gets: its own, completed by the
// class's credentials when it names none; the class's when it has none.
type classAuthorization struct {
	safe            *monitoringv1.SafeAuthorization
	credentialsFile string // only from the class: the administrator's file
}

func mergeAuthorization(own *monitoringv1.SafeAuthorization, class monitoringv1.ScrapeClass) *classAuthorization {
	ca := class.Authorization
	if own == nil || reflect.ValueOf(*own).IsZero() {
		if ca == nil {
			return nil
		}
		return &classAuthorization{safe: ca.SafeAuthorization.DeepCopy(), credentialsFile: ca.CredentialsFile}
	}
	out := &classAuthorization{safe: own.DeepCopy()}
	if ca != nil && out.safe.Credentials == nil {
		out.safe.Credentials = ca.Credentials.DeepCopy()
		if out.safe.Credentials == nil {
			out.credentialsFile = ca.CredentialsFile
		}
	}
	return out
}

// mergeAttachMetadata is the resource's attachMetadata, else its class's.
func mergeAttachMetadata(own *monitoringv1.AttachMetadata, class monitoringv1.ScrapeClass) *monitoringv1.AttachMetadata {
	if own != nil {
		return own
	}
	return class.AttachMetadata
}

// mergeFallbackProtocol is the resource's fallbackScrapeProtocol, else its class's.
func mergeFallbackProtocol(own *monitoringv1.ScrapeProtocol, class monitoringv1.ScrapeClass) *monitoringv1.ScrapeProtocol {
	if own != nil {
		return own
	}
	return class.FallbackScrapeProtocol
}
