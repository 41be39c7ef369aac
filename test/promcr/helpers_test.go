package promcr_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

// collectorName is the OpenTelemetryCollector the TAs of this suite report Events on.
const collectorName = "main"

// startTA runs the target allocator for namespace, reporting Events on collectorName.
func startTA(t *testing.T, namespace, config string, extraEnv ...string) string {
	t.Helper()
	return suite.StartTA(t, namespace, config, append([]string{"OTELCOL_COLLECTOR_NAME=" + collectorName}, extraEnv...)...)
}

func freeAddr(t *testing.T) string { return taprocess.FreeAddr(t) }

func get(client *http.Client, rawURL string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(rawURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", rawURL, resp.Status, body)
	}
	return string(body), nil
}

// jobNames returns the keys of a JSON object served at rawURL (/jobs, /scrape_configs), sorted.
func jobNames(client *http.Client, rawURL string) ([]string, error) {
	body, err := get(client, rawURL)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", rawURL, err, body)
	}
	names := []string{}
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

// expectJobs checks that /jobs and /scrape_configs both list exactly want.
func expectJobs(base string, want ...string) error {
	if want == nil {
		want = []string{}
	}
	for _, path := range []string{"/jobs", "/scrape_configs"} {
		got, err := jobNames(nil, base+path)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s lists %v, want %v", path, got, want)
		}
	}
	return nil
}

// servedTargets returns the union of the addresses the collectors get for job, and fails on a target served
// to two collectors.
func servedTargets(base, job string, collectors []string) ([]string, error) {
	var union []string
	owner := map[string]string{}
	for _, c := range collectors {
		body, err := get(nil, taprocess.TargetsURL(base, job, c))
		if err != nil {
			return nil, err
		}
		var groups []struct {
			Targets []string `json:"targets"`
		}
		if err := json.Unmarshal([]byte(body), &groups); err != nil {
			return nil, fmt.Errorf("%w: %s", err, body)
		}
		for _, g := range groups {
			for _, a := range g.Targets {
				if prev, dup := owner[a]; dup {
					return nil, fmt.Errorf("job %s: target %s served to both %s and %s", job, a, prev, c)
				}
				owner[a] = c
				union = append(union, a)
			}
		}
	}
	sort.Strings(union)
	return union, nil
}
