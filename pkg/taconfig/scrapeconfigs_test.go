package taconfig

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	commonconfig "github.com/prometheus/common/config"
)

const withSecrets = `collector_namespace: obs
config:
  scrape_configs:
  - job_name: serviceMonitor/ns/name/0
    scrape_interval: 30s
    basic_auth:
      username: user
      password: hunter2
    kubernetes_sd_configs:
    - role: pod
      api_server: https://kube:6443
      authorization:
        credentials: sd-token
    relabel_configs:
    - source_labels: [__meta_kubernetes_pod_label_app]
      regex: (.+)
      replacement: $1
      target_label: app
`

func TestScrapeConfigsJSON(t *testing.T) {
	c, err := Parse("ta.yaml", []byte(withSecrets), nil)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := c.ScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		reveal         bool
		password, cred string
	}{{false, "<secret>", "<secret>"}, {true, "hunter2", "sd-token"}} {
		b, err := ScrapeConfigsJSON(scs, tc.reveal)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		job := got["serviceMonitor/ns/name/0"]
		if job == nil {
			t.Fatalf("job missing in %s", b)
		}
		summary := map[string]any{
			"job_name":        job["job_name"],
			"scrape_interval": job["scrape_interval"],
			"password":        job["basic_auth"].(map[string]any)["password"],
			"username":        job["basic_auth"].(map[string]any)["username"],
			"sd_credentials":  job["kubernetes_sd_configs"].([]any)[0].(map[string]any)["authorization"].(map[string]any)["credentials"],
			"regex":           job["relabel_configs"].([]any)[0].(map[string]any)["regex"],
			"replacement":     job["relabel_configs"].([]any)[0].(map[string]any)["replacement"],
		}
		want := map[string]any{
			"job_name": "serviceMonitor/ns/name/0", "scrape_interval": "30s", "password": tc.password, "username": "user",
			"sd_credentials": tc.cred, "regex": "(.+)", "replacement": "$1",
		}
		if d := cmp.Diff(want, summary); d != "" {
			t.Errorf("reveal=%v (-want +got):\n%s\n%s", tc.reveal, d, b)
		}
	}
	if commonconfig.MarshalSecretValue {
		t.Error("the process-global MarshalSecretValue was changed")
	}
}

func TestScrapeConfigsJSONEqualRulesReadBack(t *testing.T) {
	const in = `collector_namespace: obs
config:
  scrape_configs:
  - job_name: j
    relabel_configs:
    - source_labels: [a]
      target_label: b
      action: keepequal
    metric_relabel_configs:
    - source_labels: [a]
      target_label: b
      action: dropequal
`
	c, err := Parse("ta.yaml", []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	scs, _ := c.ScrapeConfigs()
	b, err := ScrapeConfigsJSON(scs, false)
	if err != nil {
		t.Fatal(err)
	}
	// What a collector does: read the job back as a Prometheus scrape config (JSON is YAML).
	var jobs map[string]json.RawMessage
	if err := json.Unmarshal(b, &jobs); err != nil {
		t.Fatal(err)
	}
	back := "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - " + string(jobs["j"]) + "\n"
	if _, err := Parse("back.yaml", []byte(back), nil); err != nil {
		t.Errorf("served scrape config does not load back: %v\n%s", err, jobs["j"])
	}
}
