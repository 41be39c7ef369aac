package promcr

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	_ "github.com/prometheus/prometheus/discovery/consul" // registers consul_sd_configs
	_ "github.com/prometheus/prometheus/discovery/dns"    // registers dns_sd_configs
	_ "github.com/prometheus/prometheus/discovery/file"   // registers file_sd_configs
	_ "github.com/prometheus/prometheus/discovery/http"   // registers http_sd_configs
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
	_ "github.com/prometheus/prometheus/discovery/openstack" // registers openstack_sd_configs
	"go.yaml.in/yaml/v2"
	"k8s.io/utils/ptr"
)

// ScrapeConfigJobName is the Prometheus Operator's job name for a ScrapeConfig.
func ScrapeConfigJobName(namespace, name string) string {
	return fmt.Sprintf("scrapeConfig/%s/%s", namespace, name)
}

// ScrapeConfigScrapeConfigs converts a v1alpha1 ScrapeConfig into its single scrape
// config: static targets and the service discovery kinds below, plus the spec-level
// scrape settings. A discovery kind this package does not convert rejects the resource
// with an error naming the kind (wrapping ErrNotSupported), as does any other problem.
func ScrapeConfigScrapeConfigs(s *monitoringv1alpha1.ScrapeConfig, opts Options) ([]*config.ScrapeConfig, error) {
	sc, err := scrapeConfigJob(s, opts)
	if err != nil {
		return nil, resourceError(KindScrapeConfig, s.Namespace, s.Name, err)
	}
	return []*config.ScrapeConfig{sc}, nil
}

// unsupportedSDKinds are the discovery kinds of the CRD that are not converted, by field.
func unsupportedSDKinds(spec *monitoringv1alpha1.ScrapeConfigSpec) []string {
	var out []string
	for field, n := range map[string]int{
		"digitalOceanSDConfigs": len(spec.DigitalOceanSDConfigs), "kumaSDConfigs": len(spec.KumaSDConfigs),
		"eurekaSDConfigs": len(spec.EurekaSDConfigs), "dockerSDConfigs": len(spec.DockerSDConfigs),
		"linodeSDConfigs": len(spec.LinodeSDConfigs), "hetznerSDConfigs": len(spec.HetznerSDConfigs),
		"nomadSDConfigs": len(spec.NomadSDConfigs), "dockerSwarmSDConfigs": len(spec.DockerSwarmSDConfigs),
		"puppetDBSDConfigs": len(spec.PuppetDBSDConfigs), "lightSailSDConfigs": len(spec.LightSailSDConfigs),
		"ovhcloudSDConfigs": len(spec.OVHCloudSDConfigs), "scalewaySDConfigs": len(spec.ScalewaySDConfigs),
		"ionosSDConfigs": len(spec.IonosSDConfigs),
	} {
		if n > 0 {
			out = append(out, field)
		}
	}
	return out
}

func scrapeConfigJob(s *monitoringv1alpha1.ScrapeConfig, opts Options) (*config.ScrapeConfig, error) {
	spec := &s.Spec
	if kinds := unsupportedSDKinds(spec); len(kinds) > 0 {
		var errs []error
		for _, k := range sortedStrings(kinds) {
			errs = append(errs, fmt.Errorf("%s: %w", k, ErrNotSupported))
		}
		return nil, errors.Join(errs...)
	}
	class, err := opts.scrapeClass(spec.ScrapeClassName)
	if err != nil {
		return nil, err
	}
	var files []fileField
	for i, f := range spec.FileSDConfigs {
		for j, name := range f.Files {
			files = append(files, fileField{fmt.Sprintf("fileSDConfigs[%d].files[%d]", i, j), string(name)})
		}
	}
	if err := opts.checkFileAccess(files...); err != nil {
		return nil, err
	}

	sc := newScrapeConfig(ScrapeConfigJobName(s.Namespace, s.Name))
	if err := applyEndpoint(sc, endpointSettings{
		interval: ptr.Deref(spec.ScrapeInterval, ""), timeout: ptr.Deref(spec.ScrapeTimeout, ""),
		path: ptr.Deref(spec.MetricsPath, ""), scheme: spec.Scheme, params: spec.Params,
		honorLabels: ptr.Deref(spec.HonorLabels, false), honorTimestamps: spec.HonorTimestamps,
		trackTimestampsStaleness: spec.TrackTimestampsStaleness,
	}, opts); err != nil {
		return nil, err
	}
	if len(spec.Params) == 0 {
		sc.Params = nil // the Prometheus Operator writes no params for an empty map
	}
	if err := applySpec(sc, specSettings{
		sampleLimit: spec.SampleLimit, targetLimit: spec.TargetLimit, labelLimit: spec.LabelLimit,
		labelNameLengthLimit: spec.LabelNameLengthLimit, labelValueLengthLimit: spec.LabelValueLengthLimit,
		keepDroppedTargets: spec.KeepDroppedTargets, nativeHistograms: spec.NativeHistogramConfig,
		protocols: spec.ScrapeProtocols, fallback: mergeFallbackProtocol(spec.FallbackScrapeProtocol, class),
		bodySizeLimit: spec.BodySizeLimit,
	}); err != nil {
		return nil, err
	}
	if spec.EnableCompression != nil {
		sc.EnableCompression = *spec.EnableCompression
	}
	if err := applyNameSchemes(sc, spec.NameValidationScheme, spec.NameEscapingScheme); err != nil {
		return nil, err
	}

	r := refs{namespace: s.Namespace, secrets: opts.Secrets, configMaps: opts.ConfigMaps}
	sc.HTTPClientConfig, err = r.httpClientConfig(httpSettings{
		auth:          monitoringv1.HTTPConfigWithoutTLS{BasicAuth: spec.BasicAuth, OAuth2: spec.OAuth2, EnableHTTP2: spec.EnableHTTP2},
		authorization: mergeAuthorization(spec.Authorization, class),
		tls:           mergeSafeTLS(spec.TLSConfig, class),
		proxy:         spec.ProxyConfig,
	})
	if err != nil {
		return nil, err
	}

	if sc.ServiceDiscoveryConfigs, err = r.serviceDiscovery(spec); err != nil {
		return nil, err
	}

	// Generated rules, then the class's, then the job name, then the resource's own.
	generated := []rule{jobNameRule()}
	classRules, err := userRelabelConfigs("scrape class "+class.Name+" relabelings", class.Relabelings)
	if err != nil {
		return nil, err
	}
	if sc.RelabelConfigs, err = compile(generated); err != nil {
		return nil, err
	}
	sc.RelabelConfigs = append(sc.RelabelConfigs, classRules...)
	if spec.JobName != nil {
		jr, err := compile([]rule{{target: "job", replacement: *spec.JobName}})
		if err != nil {
			return nil, fmt.Errorf("jobName: %w", err)
		}
		sc.RelabelConfigs = append(sc.RelabelConfigs, jr...)
	}
	own, err := userRelabelConfigs("relabelings", spec.RelabelConfigs)
	if err != nil {
		return nil, err
	}
	sc.RelabelConfigs = append(sc.RelabelConfigs, own...)
	classMetric, err := userRelabelConfigs("scrape class "+class.Name+" metricRelabelings", class.MetricRelabelings)
	if err != nil {
		return nil, err
	}
	ownMetric, err := userRelabelConfigs("metricRelabelings", spec.MetricRelabelConfigs)
	if err != nil {
		return nil, err
	}
	if sc.MetricRelabelConfigs = append(classMetric, ownMetric...); len(sc.MetricRelabelConfigs) == 0 {
		sc.MetricRelabelConfigs = nil
	}
	return sc, nil
}

func applyNameSchemes(sc *config.ScrapeConfig, validation *monitoringv1.NameValidationSchemeOptions,
	escaping *monitoringv1.NameEscapingSchemeOptions,
) error {
	if validation != nil {
		switch *validation {
		case monitoringv1.UTF8NameValidationScheme:
			sc.MetricNameValidationScheme = model.UTF8Validation
		case monitoringv1.LegacyNameValidationScheme:
			sc.MetricNameValidationScheme = model.LegacyValidation
		default:
			return fmt.Errorf("nameValidationScheme: unknown value %q", *validation)
		}
	}
	if escaping != nil {
		v, ok := map[monitoringv1.NameEscapingSchemeOptions]string{
			monitoringv1.AllowUTF8NameEscapingScheme:   model.AllowUTF8,
			monitoringv1.UnderscoresNameEscapingScheme: model.EscapeUnderscores,
			monitoringv1.DotsNameEscapingScheme:        model.EscapeDots,
			monitoringv1.ValuesNameEscapingScheme:      model.EscapeValues,
		}[*escaping]
		if !ok {
			return fmt.Errorf("nameEscapingScheme: unknown value %q", *escaping)
		}
		sc.MetricNameEscapingScheme = v
	}
	return nil
}

// sdHolder lets Prometheus' own loader parse the discovery sections, so every kind gets
// exactly Prometheus' defaults and validation.
type sdHolder struct {
	ServiceDiscoveryConfigs discovery.Configs `yaml:"-"`
}

func (h *sdHolder) UnmarshalYAML(unmarshal func(any) error) error {
	return discovery.UnmarshalYAMLWithInlineConfigs(h, unmarshal)
}

// sdHTTP is the HTTP client settings of one discovery config, set after loading: they are
// built from the CRD's references like the job's own, not written as text.
type sdHTTP struct {
	kind  string
	index int
	cfg   commoncfg.HTTPClientConfig
}

// serviceDiscovery builds the discovery configs of a ScrapeConfig. The kind-specific
// settings are written as Prometheus YAML (Secret values included: the text is only
// parsed, never stored or logged) and loaded with Prometheus' discovery registry; the
// HTTP client settings are then filled in per config.
func (r refs) serviceDiscovery(spec *monitoringv1alpha1.ScrapeConfigSpec) (discovery.Configs, error) {
	doc := yaml.MapSlice{}
	var https []sdHTTP
	add := func(key string, items []yaml.MapSlice) {
		if len(items) > 0 {
			doc = append(doc, yaml.MapItem{Key: key, Value: items})
		}
	}
	httpOf := func(kind string, i int, field string, h httpSettings) error {
		c, err := r.httpClientConfig(h)
		if err != nil {
			return fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		https = append(https, sdHTTP{kind: kind, index: i, cfg: c})
		return nil
	}
	sdAuth := func(b *monitoringv1.BasicAuth, a *monitoringv1.SafeAuthorization, o *monitoringv1.OAuth2,
		follow, http2 *bool, tls *monitoringv1.SafeTLSConfig, proxy monitoringv1.ProxyConfig,
	) httpSettings {
		h := httpSettings{
			auth:  monitoringv1.HTTPConfigWithoutTLS{BasicAuth: b, OAuth2: o, FollowRedirects: follow, EnableHTTP2: http2},
			tls:   mergeSafeTLS(tls, monitoringv1.ScrapeClass{}),
			proxy: proxy,
		}
		if a != nil {
			h.authorization = &classAuthorization{safe: a}
		}
		return h
	}
	opt := func(m yaml.MapSlice, key string, v any) yaml.MapSlice {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return m
			}
			v = rv.Elem().Interface()
		}
		return append(m, yaml.MapItem{Key: key, Value: v})
	}

	var static []yaml.MapSlice
	for _, c := range spec.StaticConfigs {
		targets := make([]string, len(c.Targets))
		for i, t := range c.Targets {
			targets[i] = string(t)
		}
		m := yaml.MapSlice{{Key: "targets", Value: targets}}
		if len(c.Labels) > 0 {
			m = append(m, yaml.MapItem{Key: "labels", Value: c.Labels})
		}
		static = append(static, m)
	}
	add("static_configs", static)

	var files []yaml.MapSlice
	for _, c := range spec.FileSDConfigs {
		names := make([]string, len(c.Files))
		for i, f := range c.Files {
			names[i] = string(f)
		}
		files = append(files, opt(yaml.MapSlice{{Key: "files", Value: names}}, "refresh_interval", c.RefreshInterval))
	}
	add("file_sd_configs", files)

	var httpSD []yaml.MapSlice
	for i, c := range spec.HTTPSDConfigs {
		httpSD = append(httpSD, opt(yaml.MapSlice{{Key: "url", Value: string(c.URL)}}, "refresh_interval", c.RefreshInterval))
		if err := httpOf("http", i, "httpSDConfigs", sdAuth(c.BasicAuth, c.Authorization, c.OAuth2, c.FollowRedirects,
			c.EnableHTTP2, c.TLSConfig, c.ProxyConfig)); err != nil {
			return nil, err
		}
	}
	add("http_sd_configs", httpSD)

	var k8s []yaml.MapSlice
	for i, c := range spec.KubernetesSDConfigs {
		m := opt(yaml.MapSlice{{Key: "role", Value: strings.ToLower(string(c.Role))}}, "api_server", c.APIServer)
		if ns := c.Namespaces; ns != nil {
			nm := yaml.MapSlice{{Key: "names", Value: ns.Names}}
			m = append(m, yaml.MapItem{Key: "namespaces", Value: opt(nm, "own_namespace", ns.IncludeOwnNamespace)})
		}
		if len(c.Selectors) > 0 {
			var sels []yaml.MapSlice
			for _, s := range c.Selectors {
				sm := yaml.MapSlice{{Key: "role", Value: strings.ToLower(string(s.Role))}}
				sels = append(sels, opt(opt(sm, "label", s.Label), "field", s.Field))
			}
			m = append(m, yaml.MapItem{Key: "selectors", Value: sels})
		}
		if a := c.AttachMetadata; a != nil {
			switch strings.ToLower(string(c.Role)) {
			case "pod", "endpoints", "endpointslice":
				m = append(m, yaml.MapItem{Key: "attach_metadata", Value: opt(yaml.MapSlice{}, "node", a.Node)})
			}
		}
		k8s = append(k8s, m)
		h := sdAuth(c.BasicAuth, c.Authorization, c.OAuth2, c.FollowRedirects, c.EnableHTTP2, c.TLSConfig, c.ProxyConfig)
		if err := httpOf("kubernetes", i, "kubernetesSDConfigs", h); err != nil {
			return nil, err
		}
		// Prometheus refuses client settings without an explicit API server (they would
		// otherwise be silently replaced by the in-cluster ones).
		if c.APIServer == nil && !reflect.DeepEqual(https[len(https)-1].cfg, commoncfg.DefaultHTTPClientConfig) {
			return nil, fmt.Errorf("kubernetesSDConfigs[%d]: authentication, TLS or proxy settings need apiServer", i)
		}
	}
	add("kubernetes_sd_configs", k8s)

	var consulSD []yaml.MapSlice
	for i, c := range spec.ConsulSDConfigs {
		m := opt(yaml.MapSlice{{Key: "server", Value: c.Server}}, "path_prefix", c.PathPrefix)
		if c.TokenRef != nil {
			tok, err := r.secret(fmt.Sprintf("consulSDConfigs[%d].tokenRef", i), *c.TokenRef)
			if err != nil {
				return nil, err
			}
			m = append(m, yaml.MapItem{Key: "token", Value: tok})
		}
		m = opt(opt(opt(m, "datacenter", c.Datacenter), "namespace", c.Namespace), "partition", c.Partition)
		if c.Scheme != nil {
			m = append(m, yaml.MapItem{Key: "scheme", Value: c.Scheme.String()})
		}
		if len(c.Services) > 0 {
			m = append(m, yaml.MapItem{Key: "services", Value: c.Services})
		}
		if len(c.Tags) > 0 {
			m = append(m, yaml.MapItem{Key: "tags", Value: c.Tags})
		}
		m = opt(m, "tag_separator", c.TagSeparator)
		if len(c.NodeMeta) > 0 {
			m = append(m, yaml.MapItem{Key: "node_meta", Value: c.NodeMeta})
		}
		m = opt(opt(opt(opt(m, "filter", c.Filter), "health_filter", c.HealthFilter), "allow_stale", c.AllowStale),
			"refresh_interval", c.RefreshInterval)
		consulSD = append(consulSD, m)
		if err := httpOf("consul", i, "consulSDConfigs", sdAuth(c.BasicAuth, c.Authorization, c.OAuth2, c.FollowRedirects,
			c.EnableHttp2, c.TLSConfig, c.ProxyConfig)); err != nil {
			return nil, err
		}
	}
	add("consul_sd_configs", consulSD)

	var dnsSD []yaml.MapSlice
	for _, c := range spec.DNSSDConfigs {
		m := opt(yaml.MapSlice{{Key: "names", Value: c.Names}}, "refresh_interval", c.RefreshInterval)
		if c.Type != nil {
			m = append(m, yaml.MapItem{Key: "type", Value: string(*c.Type)})
		}
		dnsSD = append(dnsSD, opt(m, "port", c.Port))
	}
	add("dns_sd_configs", dnsSD)

	var ec2SD []yaml.MapSlice
	for i, c := range spec.EC2SDConfigs {
		m := opt(yaml.MapSlice{}, "region", c.Region)
		if c.AccessKey != nil && c.SecretKey != nil {
			ak, err := r.secret(fmt.Sprintf("ec2SDConfigs[%d].accessKey", i), *c.AccessKey)
			if err != nil {
				return nil, err
			}
			sk, err := r.secret(fmt.Sprintf("ec2SDConfigs[%d].secretKey", i), *c.SecretKey)
			if err != nil {
				return nil, err
			}
			m = append(m, yaml.MapItem{Key: "access_key", Value: ak}, yaml.MapItem{Key: "secret_key", Value: sk})
		}
		m = opt(opt(opt(m, "role_arn", c.RoleARN), "refresh_interval", c.RefreshInterval), "port", c.Port)
		if len(c.Filters) > 0 {
			// Sorted by name, as the Prometheus Operator writes them, so a job reads the same from
			// either; sorted on a copy, because c belongs to the informer's cache.
			filters := slices.Clone(c.Filters)
			slices.SortStableFunc(filters, func(a, b monitoringv1alpha1.Filter) int { return cmp.Compare(a.Name, b.Name) })
			var fs []yaml.MapSlice
			for _, f := range filters {
				fs = append(fs, yaml.MapSlice{{Key: "name", Value: f.Name}, {Key: "values", Value: f.Values}})
			}
			m = append(m, yaml.MapItem{Key: "filters", Value: fs})
		}
		ec2SD = append(ec2SD, m)
		if err := httpOf("ec2", i, "ec2SDConfigs", sdAuth(nil, nil, nil, c.FollowRedirects, c.EnableHTTP2,
			c.TLSConfig, c.ProxyConfig)); err != nil {
			return nil, err
		}
	}
	add("ec2_sd_configs", ec2SD)

	var azureSD []yaml.MapSlice
	for i, c := range spec.AzureSDConfigs {
		m := opt(yaml.MapSlice{}, "environment", c.Environment)
		if c.AuthenticationMethod != nil {
			m = append(m, yaml.MapItem{Key: "authentication_method", Value: string(*c.AuthenticationMethod)})
		}
		if c.SubscriptionID != "" {
			m = append(m, yaml.MapItem{Key: "subscription_id", Value: c.SubscriptionID})
		}
		m = opt(opt(m, "tenant_id", c.TenantID), "client_id", c.ClientID)
		if c.ClientSecret != nil {
			v, err := r.secret(fmt.Sprintf("azureSDConfigs[%d].clientSecret", i), *c.ClientSecret)
			if err != nil {
				return nil, err
			}
			m = append(m, yaml.MapItem{Key: "client_secret", Value: v})
		}
		m = opt(opt(opt(m, "resource_group", c.ResourceGroup), "refresh_interval", c.RefreshInterval), "port", c.Port)
		azureSD = append(azureSD, m)
		if err := httpOf("azure", i, "azureSDConfigs", sdAuth(c.BasicAuth, c.Authorization, c.OAuth2, c.FollowRedirects,
			c.EnableHTTP2, c.TLSConfig, c.ProxyConfig)); err != nil {
			return nil, err
		}
	}
	add("azure_sd_configs", azureSD)

	var gceSD []yaml.MapSlice
	for _, c := range spec.GCESDConfigs {
		m := yaml.MapSlice{{Key: "project", Value: c.Project}, {Key: "zone", Value: c.Zone}}
		gceSD = append(gceSD, opt(opt(opt(opt(m, "filter", c.Filter), "refresh_interval", c.RefreshInterval),
			"port", c.Port), "tag_separator", c.TagSeparator))
	}
	add("gce_sd_configs", gceSD)

	var osSD []yaml.MapSlice
	var osTLS []commoncfg.TLSConfig
	for i, c := range spec.OpenStackSDConfigs {
		m := yaml.MapSlice{{Key: "role", Value: strings.ToLower(string(c.Role))}, {Key: "region", Value: c.Region}}
		if c.IdentityEndpoint != nil {
			m = append(m, yaml.MapItem{Key: "identity_endpoint", Value: string(*c.IdentityEndpoint)})
		}
		m = opt(opt(m, "username", c.Username), "userid", c.UserID)
		if c.Password != nil {
			v, err := r.secret(fmt.Sprintf("openstackSDConfigs[%d].password", i), *c.Password)
			if err != nil {
				return nil, err
			}
			m = append(m, yaml.MapItem{Key: "password", Value: v})
		}
		m = opt(opt(opt(opt(m, "domain_name", c.DomainName), "domain_id", c.DomainID), "project_name", c.ProjectName),
			"project_id", c.ProjectID)
		m = opt(opt(m, "application_credential_name", c.ApplicationCredentialName), "application_credential_id",
			c.ApplicationCredentialID)
		if c.ApplicationCredentialSecret != nil {
			v, err := r.secret(fmt.Sprintf("openstackSDConfigs[%d].applicationCredentialSecret", i), *c.ApplicationCredentialSecret)
			if err != nil {
				return nil, err
			}
			m = append(m, yaml.MapItem{Key: "application_credential_secret", Value: v})
		}
		m = opt(opt(opt(opt(m, "all_tenants", c.AllTenants), "refresh_interval", c.RefreshInterval), "port", c.Port),
			"availability", c.Availability)
		osSD = append(osSD, m)
		var t commoncfg.TLSConfig
		if c.TLSConfig != nil {
			var err error
			if t, err = r.tlsConfig(fmt.Sprintf("openstackSDConfigs[%d].tlsConfig", i), &monitoringv1.TLSConfig{SafeTLSConfig: *c.TLSConfig}); err != nil {
				return nil, err
			}
		}
		osTLS = append(osTLS, t)
	}
	add("openstack_sd_configs", osSD)

	if len(doc) == 0 {
		return nil, nil
	}
	text, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("service discovery: %w", err)
	}
	var h sdHolder
	if err := yaml.UnmarshalStrict(text, &h); err != nil {
		return nil, fmt.Errorf("service discovery: %w", err)
	}
	return h.ServiceDiscoveryConfigs, fillSDClients(h.ServiceDiscoveryConfigs, https, osTLS)
}

// fillSDClients puts each discovery config's HTTP client settings in place. Prometheus'
// loader keeps the configs of one kind in their order, which is what index refers to. The
// fields are found by name (HTTPClientConfig, and OpenStack's TLSConfig) rather than by
// type, so this package does not link the cloud SDKs behind the EC2, Azure and GCE kinds:
// those kinds are registered by whoever links discovery/install (the TA does, through
// taconfig), and a program without them gets a clear error naming the section.
func fillSDClients(cfgs discovery.Configs, https []sdHTTP, osTLS []commoncfg.TLSConfig) error {
	seen := map[string]int{}
	for _, c := range cfgs {
		kind := c.Name()
		i := seen[kind]
		seen[kind]++
		v := reflect.ValueOf(c)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			continue
		}
		if kind == "openstack" {
			f := v.Elem().FieldByName("TLSConfig")
			if !f.IsValid() || f.Type() != reflect.TypeFor[commoncfg.TLSConfig]() || i >= len(osTLS) {
				return fmt.Errorf("service discovery: openstack config %d has no TLS settings field", i)
			}
			f.Set(reflect.ValueOf(osTLS[i]))
			continue
		}
		f := v.Elem().FieldByName("HTTPClientConfig")
		if !f.IsValid() || f.Type() != reflect.TypeFor[commoncfg.HTTPClientConfig]() {
			continue // static, file, DNS, GCE: no HTTP client of their own
		}
		found := false
		for _, h := range https {
			if h.kind == kind && h.index == i {
				f.Set(reflect.ValueOf(h.cfg))
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("service discovery: no client settings for %s config %d", kind, i)
		}
	}
	return nil
}
