package configrewrite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// receiver is one prometheus receiver of the collector config, with pointers into the
// parsed document so that the rewrite can edit it in place.
type receiver struct {
	name string
	// node is the receiver's value in the document (a mapping, or a null scalar for
	// `prometheus:`), where the target_allocator block goes.
	node *yaml.Node
	// global is the receiver's config.global, or nil.
	global *yaml.Node
	// list is the receiver's config.scrape_configs when it is a list, or nil.
	list *yaml.Node
	jobs []job
}

// job is one entry of a receiver's config.scrape_configs.
type job struct {
	// name is the job name as Prometheus sees it, after the collector's `$$` expansion:
	// the name the TA knows the job by.
	name string
	// node is the scrape config mapping inside the document.
	node *yaml.Node
	// interval and timeout are the job's scrape_interval and scrape_timeout as Prometheus
	// resolved them under the receiver's own global (set by validate).
	interval, timeout string
}

// isPrometheusReceiver matches `prometheus` and `prometheus/<name>`, not receivers that
// merely start with the word (prometheus_simple, prometheusremotewrite).
func isPrometheusReceiver(name string) bool {
	return name == "prometheus" || strings.HasPrefix(name, "prometheus/")
}

// findReceivers returns the prometheus receivers of the document in the document's order and
// checks everything the TA depends on: scrape_configs is a list of mappings, every job has a
// unique name, no scrape_config_files. It does not ask Prometheus; see validate.
func findReceivers(doc *yaml.Node) ([]receiver, error) {
	if doc == nil || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errorf(KindInvalidConfig, "collector config must be a YAML mapping (line %d)", root.Line)
	}
	receivers, err := lookup(root, "receivers", "collector config")
	if err != nil || isNull(receivers) {
		return nil, err
	}
	if receivers.Kind != yaml.MappingNode {
		return nil, errorf(KindInvalidConfig, "receivers must be a mapping (line %d)", receivers.Line)
	}
	var out []receiver
	seen := map[string]string{} // job name -> receiver that has it
	for i := 0; i+1 < len(receivers.Content); i += 2 {
		k, v := receivers.Content[i], receivers.Content[i+1]
		if k.Kind != yaml.ScalarNode || !isPrometheusReceiver(k.Value) {
			continue
		}
		r, err := readReceiver(k.Value, v)
		if err != nil {
			return nil, err
		}
		for _, j := range r.jobs {
			if other, dup := seen[j.name]; dup {
				where := "receiver " + quote(other)
				if other == r.name {
					where = "the same receiver"
				}
				return nil, errorf(KindDuplicateJobName, "job_name %q of receiver %q (line %d) is already used by %s; job names must be unique across all prometheus receivers because the target allocator identifies jobs by name",
					j.name, r.name, j.node.Line, where)
			}
			seen[j.name] = r.name
		}
		out = append(out, r)
	}
	return out, nil
}

func readReceiver(name string, v *yaml.Node) (receiver, error) {
	r := receiver{name: name, node: v}
	if isNull(v) {
		return r, nil
	}
	where := "receiver " + quote(name)
	if v.Kind != yaml.MappingNode {
		return r, errorf(KindInvalidConfig, "%s must be a mapping (line %d)", where, v.Line)
	}
	cfg, err := lookup(v, "config", where)
	if err != nil || isNull(cfg) {
		return r, err
	}
	where += " config"
	if cfg.Kind != yaml.MappingNode {
		return r, errorf(KindInvalidConfig, "%s must be a mapping (line %d)", where, cfg.Line)
	}
	if files, err := lookup(cfg, "scrape_config_files", where); err != nil {
		return r, err
	} else if files != nil {
		return r, errorf(KindScrapeConfigFiles, "receiver %q: scrape_config_files (line %d) is not supported with a target allocator, because the operator cannot read those files to give their jobs to the target allocator; move the scrape configs into scrape_configs",
			name, files.Line)
	}
	if r.global, err = lookup(cfg, "global", where); err != nil {
		return r, err
	}
	list, err := lookup(cfg, "scrape_configs", where)
	if err != nil || isNull(list) {
		return r, err
	}
	if list.Kind != yaml.SequenceNode {
		return r, errorf(KindScrapeConfigsNotList, "receiver %q: scrape_configs must be a list of scrape configs, got %s (line %d)", name, describe(list), list.Line)
	}
	r.list = list
	for i, sc := range list.Content {
		if sc.Kind != yaml.MappingNode {
			return r, errorf(KindInvalidConfig, "receiver %q: scrape config #%d must be a mapping, got %s (line %d)", name, i+1, describe(sc), sc.Line)
		}
		jn, err := lookup(sc, "job_name", fmt.Sprintf("receiver %q scrape config #%d", name, i+1))
		if err != nil {
			return r, err
		}
		if jn == nil || jn.Kind != yaml.ScalarNode || jn.ShortTag() == "!!null" || jn.Value == "" {
			return r, errorf(KindMissingJobName, "receiver %q: scrape config #%d (line %d) has no job_name; every scrape config needs a unique job_name", name, i+1, sc.Line)
		}
		// Numbers and booleans are valid job names to Prometheus (it reads the text), so
		// only the text matters; the collector's `$$` expansion applies to it as to any value.
		r.jobs = append(r.jobs, job{name: strings.ReplaceAll(jn.Value, "$$", "$"), node: sc})
	}
	return r, nil
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
