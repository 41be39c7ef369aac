// Package fileaccess finds the fields of a Prometheus scrape config that name a file (credentials_file,
// bearer_token_file, password_file, tls_config's ca_file/cert_file/key_file, oauth2's client_secret_file,
// kubeconfig_file, file_sd's files, http_headers' files, scrape_failure_log_file, ...).
//
// Whoever writes such a field chooses a file that the process running the config opens: the target allocator for
// service discovery, the collector for scrapes. A tenant who writes a collector config or a monitor could thereby
// make the target allocator send its own service-account token to an address of the tenant's choosing, or read (or,
// for scrape_failure_log_file, write) files of the pod. The operator and the target allocator refuse such configs
// unless an administrator allowed it; this package only finds the fields, so that both apply one rule.
//
// The search walks the parsed config by reflection, so fields that later versions of prometheus/common or of the
// service discovery mechanisms add are covered as long as their YAML key follows Prometheus' naming (a key ending
// in _file, _files or _path, or named files); the tests pin every field of the versions we build with.
package fileaccess
