package fileaccess_test

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	promconfig "github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/install"

	"github.com/otelcol-operator/otelcol-operator/pkg/fileaccess"
)

func load(t *testing.T, text string) []*promconfig.ScrapeConfig {
	t.Helper()
	cfg, err := promconfig.Load(text, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg.ScrapeConfigs
}

// Every file-naming field of the HTTP client config (scrape level and inside oauth2), of the scrape config itself,
// and of service discovery configs that have their own file fields.
const everyFileField = `
scrape_configs:
- job_name: scrape
  bearer_token_file: /f/bearer
  scrape_failure_log_file: /f/failures
  tls_config: {ca_file: /f/ca, cert_file: /f/cert, key_file: /f/key}
  http_headers:
    X-B: {files: [/f/hb]}
    X-A: {values: [plain], files: [/f/ha0, /f/ha1]}
  proxy_url: http://proxy:3128
- job_name: basic
  basic_auth: {username_file: /f/user, password_file: /f/pass}
- job_name: authorization
  authorization: {credentials_file: /f/cred}
- job_name: oauth2
  oauth2:
    client_id: id
    client_secret_file: /f/secret
    token_url: https://token
    tls_config: {ca_file: /f/oca}
- job_name: oauth2-jwt
  oauth2:
    client_id: id
    grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer
    client_certificate_key_file: /f/jwtkey
    token_url: https://token
- job_name: sd
  kubernetes_sd_configs:
  - role: pod
    api_server: https://kube
    authorization: {credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token}
    tls_config: {ca_file: /f/kca}
  - role: node
    kubeconfig_file: /f/kubeconfig
  file_sd_configs:
  - files: [/f/targets.json]
  consul_sd_configs:
  - server: consul:8500
    tls_config: {cert_file: /f/ccert, key_file: /f/ckey}
  marathon_sd_configs:
  - servers: [http://marathon]
    auth_token_file: /f/marathon
  http_sd_configs:
  - url: http://sd
    oauth2: {client_id: id, client_secret_file: /f/hsecret, token_url: https://token}
  static_configs:
  - targets: [a:1]
`

func TestFindEveryFileField(t *testing.T) {
	var got []string
	for _, sc := range load(t, everyFileField) {
		for _, r := range fileaccess.Find(sc) {
			got = append(got, r.Job+" "+r.Field+" "+r.Path+" sd="+map[bool]string{true: "y", false: "n"}[r.ServiceDiscovery])
		}
	}
	want := []string{
		// Prometheus turns bearer_token_file into authorization.credentials_file when it loads the config.
		"scrape authorization.credentials_file /f/bearer sd=n",
		"scrape tls_config.ca_file /f/ca sd=n",
		"scrape tls_config.cert_file /f/cert sd=n",
		"scrape tls_config.key_file /f/key sd=n",
		"scrape http_headers.X-A.files[0] /f/ha0 sd=n",
		"scrape http_headers.X-A.files[1] /f/ha1 sd=n",
		"scrape http_headers.X-B.files[0] /f/hb sd=n",
		"scrape scrape_failure_log_file /f/failures sd=n",
		"basic basic_auth.username_file /f/user sd=n",
		"basic basic_auth.password_file /f/pass sd=n",
		"authorization authorization.credentials_file /f/cred sd=n",
		"oauth2 oauth2.client_secret_file /f/secret sd=n",
		"oauth2 oauth2.tls_config.ca_file /f/oca sd=n",
		"oauth2-jwt oauth2.client_certificate_key_file /f/jwtkey sd=n",
		"sd kubernetes_sd_configs[0].authorization.credentials_file /var/run/secrets/kubernetes.io/serviceaccount/token sd=y",
		"sd kubernetes_sd_configs[0].tls_config.ca_file /f/kca sd=y",
		"sd kubernetes_sd_configs[1].kubeconfig_file /f/kubeconfig sd=y",
		"sd file_sd_configs[0].files[0] /f/targets.json sd=y",
		"sd consul_sd_configs[0].tls_config.cert_file /f/ccert sd=y",
		"sd consul_sd_configs[0].tls_config.key_file /f/ckey sd=y",
		"sd marathon_sd_configs[0].auth_token_file /f/marathon sd=y",
		"sd http_sd_configs[0].oauth2.client_secret_file /f/hsecret sd=y",
	}
	// Scrape-level fields come in struct order, SD configs in Prometheus' encoding order; compare as sets so that
	// a reordering upstream does not fail the test, and separately check that the order is stable.
	if !sameSet(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Fields named by the _path convention (stackit) and key files of other SD mechanisms.
func TestFindPathAndKeyFields(t *testing.T) {
	scs := load(t, `
scrape_configs:
- job_name: j
  stackit_sd_configs:
  - project: p
    service_account_key_path: /f/sak
  scaleway_sd_configs:
  - role: instance
    project_id: 11111111-1111-1111-1111-111111111111
    access_key: SCWXXXXXXXXXXXXXXXXX
    secret_key_file: /f/scw
`)
	got := fields(fileaccess.Find(scs[0]))
	want := []string{"scaleway_sd_configs[0].secret_key_file", "stackit_sd_configs[0].service_account_key_path"}
	if !sameSet(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}

// Ordinary configs, with inline credentials, paths that are not files and every non-file setting, name no file.
func TestFindNothing(t *testing.T) {
	scs := load(t, `
scrape_configs:
- job_name: plain
  metrics_path: /metrics_path
  basic_auth: {username: u, password: p}
  tls_config: {ca: "-----BEGIN CERTIFICATE-----", server_name: s}
  http_headers: {X-A: {values: [v], secrets: [s]}}
  relabel_configs: [{source_labels: [__meta_x_path], target_label: file}]
  kubernetes_sd_configs: [{role: pod}]
  serverset_sd_configs: [{servers: [z], paths: [/znode]}]
  static_configs: [{targets: [a:1], labels: {ca_file: label-value}}]
`)
	if refs := fileaccess.Find(scs[0]); len(refs) != 0 {
		t.Errorf("found %v in a config that names no file", refs)
	}
	if err := fileaccess.Check(scs[0]); err != nil {
		t.Errorf("Check: %v", err)
	}
	if fileaccess.Find(nil) != nil {
		t.Error("Find(nil) found something")
	}
}

// The error names the job, every field, the file and who would open it.
func TestCheckMessage(t *testing.T) {
	scs := load(t, `
scrape_configs:
- job_name: steal
  bearer_token_file: /f/b
  kubernetes_sd_configs:
  - role: pod
    api_server: http://127.0.0.1:1
    authorization: {credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token}
`)
	err := fileaccess.Check(scs[0])
	if err == nil {
		t.Fatal("Check accepted a config naming files")
	}
	for _, want := range []string{`job "steal"`, `authorization.credentials_file ("/f/b", opened by the collector)`,
		`kubernetes_sd_configs[0].authorization.credentials_file ("/var/run/secrets/kubernetes.io/serviceaccount/token", opened by the target allocator)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func fields(refs []fileaccess.Reference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Field)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
