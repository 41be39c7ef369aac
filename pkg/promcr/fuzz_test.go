package promcr

import (
	"encoding/json"
	"testing"
)

// FuzzScrapeConfig feeds ScrapeConfig specs (as a tenant would write them, in JSON) to the converter: whatever
// the input, it returns a job or an error naming the resource, never panics, and a refused file stays refused.
func FuzzScrapeConfig(f *testing.F) {
	for _, seed := range []string{
		`{"staticConfigs":[{"targets":["a:1"],"labels":{"x":"y"}}]}`,
		`{"fileSDConfigs":[{"files":["/var/run/secrets/*.json"]}]}`,
		`{"httpSDConfigs":[{"url":"http://sd","basicAuth":{"username":{"name":"creds","key":"user"},"password":{"name":"creds","key":"password"}}}]}`,
		`{"kubernetesSDConfigs":[{"role":"Pod","apiServer":"https://x","authorization":{"credentials":{"name":"creds","key":"token"}}}]}`,
		`{"kubernetesSDConfigs":[{"role":"Pod","tlsConfig":{"serverName":"x"}}]}`,
		`{"consulSDConfigs":[{"server":"c:8500","tokenRef":{"name":"creds","key":"token"}}],"dnsSDConfigs":[{"names":["a"],"type":"SRV"}]}`,
		`{"openstackSDConfigs":[{"role":"Instance","region":"r","password":{"name":"creds","key":"password"}}]}`,
		`{"scrapeInterval":"1s","scrapeTimeout":"2s","relabelings":[{"regex":"(","action":"drop"}]}`,
		`{"scrapeClass":"missing","nameValidationScheme":"Legacy","nameEscapingScheme":"Dots"}`,
		`{"digitalOceanSDConfigs":[{}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scrapeConfig("team-a", "fuzz", nil)
		if err := json.Unmarshal(data, &s.Spec); err != nil {
			return
		}
		scs, err := ScrapeConfigScrapeConfigs(s, testOptions())
		if err != nil {
			if _, ok := err.(*ResourceError); !ok {
				t.Fatalf("error is not a *ResourceError: %v", err)
			}
			return
		}
		if len(scs) != 1 || scs[0].JobName != "scrapeConfig/team-a/fuzz" {
			t.Fatalf("jobs %v", jobNames(scs))
		}
		if len(s.Spec.FileSDConfigs) > 0 {
			for _, f := range s.Spec.FileSDConfigs {
				if len(f.Files) > 0 {
					t.Fatalf("file_sd accepted while file access is denied: %v", f.Files)
				}
			}
		}
	})
}
