package configrewrite

import "go.yaml.in/yaml/v3"

// analyze parses and checks a collector config for use with a TA: it must have a prometheus
// receiver, and all its scrape configs must be usable by the TA and valid to Prometheus.
func analyze(config string, allowFiles bool) ([]receiver, error) {
	_, receivers, err := analyzeDocument(config, allowFiles)
	return receivers, err
}

// analyzeDocument is analyze that also returns the parsed document, for the rewrite.
func analyzeDocument(config string, allowFiles bool) (*yaml.Node, []receiver, error) {
	doc, err := parseDocument(config)
	if err != nil {
		return nil, nil, err
	}
	receivers, err := findReceivers(doc)
	if err != nil {
		return nil, nil, err
	}
	if len(receivers) == 0 {
		return nil, nil, errorf(KindNoPrometheusReceiver, "no prometheus receiver in the collector config; a target allocator needs a receiver named \"prometheus\" or \"prometheus/<name>\"")
	}
	if err := validate(receivers, allowFiles); err != nil {
		return nil, nil, err
	}
	return doc, receivers, nil
}
