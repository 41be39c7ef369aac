package taconfig

import "testing"

// FuzzParse: whatever the bytes, Parse returns a config or an error; it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{full, withSecrets, referenceOperatorFile, "", "config:\n", "collector_selector: {matchlabels: {a: b}}\n", "a: &x [*x]\n", "config: {scrape_configs: [{job_name: a}]}\n",
		"handoff: {mode: make-before-break, margin: 2s, default_refresh_interval: 30s, max_hold: 5m}\n", "handoff: {mode: immediate}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, nil)
		if err == nil {
			scs, err := c.ScrapeConfigs()
			if err == nil {
				_, _ = ScrapeConfigsJSON(scs, false)
			}
		}
	})
}
