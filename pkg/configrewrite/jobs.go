package configrewrite

// ScrapeJobs returns the job names of all prometheus receivers' scrape configs, in the
// config's order. The names are those Prometheus and the TA use, after the collector's `$$`
// expansion; escape them with url.QueryEscape to build a TA URL. A config without prometheus
// receivers has no jobs (and no error); every other error of RewriteCollectorConfig applies,
// except the refusal of file names, which does not change the job names.
func ScrapeJobs(config string) ([]string, error) {
	doc, err := parseDocument(config)
	if err != nil {
		return nil, err
	}
	receivers, err := findReceivers(doc)
	if err != nil {
		return nil, err
	}
	if err := validate(receivers, true); err != nil {
		return nil, err
	}
	var names []string
	for _, r := range receivers {
		for _, j := range r.jobs {
			names = append(names, j.name)
		}
	}
	return names, nil
}
