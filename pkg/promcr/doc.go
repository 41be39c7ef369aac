// Package promcr turns Prometheus Operator monitoring resources (ServiceMonitor, PodMonitor,
// Probe, ScrapeConfig) into Prometheus scrape configs for the Target Allocator, and picks which resources apply
// under the TA's prometheus_cr selectors.
//
// The Prometheus Operator's own generator (pkg/prometheus in its root module) does not build
// against the prometheus module we use, so the conversion lives here. It follows that
// generator (v0.93.1) in job names, relabeling order and rule contents (test/conformance
// runs both on one corpus and requires identical jobs), with these deliberate differences:
//
//   - No sharding rules (hashmod on __address__, keep on $(SHARD)): the TA is the only sharder.
//   - ServiceMonitors use the endpointslice role unless the monitor asks for endpoints
//     (spec.serviceDiscoveryRole) or Options.ServiceDiscoveryRole says otherwise. Endpoints
//     are deprecated since Kubernetes 1.33 and truncated at 1000 addresses per object, which
//     silently loses targets at the scale the TA is built for; EndpointSlices have neither
//     problem. The Prometheus Operator defaults to endpoints only for old clusters.
//   - Secrets, ConfigMap values and TLS material are inlined (basic_auth.password,
//     authorization.credentials, tls_config.ca/cert/key, ...), because the collector that
//     scrapes has no mounted copies of them. The values travel in config.Secret fields, so
//     marshalling redacts them unless the caller chooses otherwise.
//   - Enforced namespace labels and the Prometheus CR's global limits do not exist in the TA,
//     so no enforced labels are added. Scrape classes do exist (Options.ScrapeClasses) and
//     are merged as the Prometheus Operator merges them.
//   - File paths in resources (bearerTokenFile, tlsConfig caFile/certFile/keyFile, file_sd)
//     are refused unless Options.AllowFileAccess: the resource's author does not own the
//     pods that would read the files. Scrape classes, the administrator's, may name files.
//   - An invalid resource is rejected as a whole with a *ResourceError naming it, where the
//     Prometheus Operator would sometimes only log (for example a missing Secret); a
//     half-authenticated scrape is worse than a visible error.
//
// Probes are converted with both target kinds (spec.targets.staticConfig, which wins when
// both are set, and spec.targets.ingress); spec.prober.path defaults to /probe as in the
// CRD. ScrapeConfig (v1alpha1) resources are converted with static targets and the file,
// http, kubernetes, DNS, Consul, EC2, Azure, GCE and OpenStack discovery kinds; their
// kind-specific settings are written as Prometheus YAML and read back by Prometheus' own
// discovery registry, so defaults and validation are Prometheus'. A resource using another
// kind yields a *ResourceError wrapping ErrNotSupported that names each such field.
package promcr
