package configrewrite

import (
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// RewriteCollectorConfig returns the collector config with every prometheus receiver's
// scrape configs pointing at the TA (the seed's behaviour): in each scrape config, every
// service discovery key (static_configs and every *_sd_configs, http_sd_configs included) is
// removed, and one http_sd_configs entry asking the TA for this collector's share of the
// job's targets takes the place of the first one. With opts.PrometheusCR instead, every
// prometheus receiver keeps no scrape config at all (`scrape_configs: []`) and gets a
// target_allocator block (see setTargetAllocatorBlock), through which it pulls all its jobs,
// the config's and those made from monitoring resources, from the TA's /scrape_configs: a job
// left in scrape_configs would exist twice in the receiver. Everything else keeps the user's
// order, comments and values, `$$` escapes included, because the collector un-escapes them
// itself.
func RewriteCollectorConfig(config string, opts Options) (string, error) {
	base, err := taBaseURL(opts)
	if err != nil {
		return "", err
	}
	doc, receivers, err := analyzeDocument(config, opts.AllowFileAccess)
	if err != nil {
		return "", err
	}
	for _, r := range receivers {
		if opts.PrometheusCR {
			emptyScrapeConfigs(r.list)
			setTargetAllocatorBlock(r.node, targetAllocatorEndpoint(base, opts), placeholder(opts), opts.TLS)
			continue
		}
		for _, j := range r.jobs {
			pointAtTA(j.node, base+"/jobs/"+url.QueryEscape(j.name)+"/targets?collector_id="+placeholder(opts))
		}
	}
	return stableEncode(doc)
}

// targetAllocatorEndpoint is where the target_allocator block fetches its scrape configs: the
// TA's mTLS port when the collector has a client certificate, its plain HTTP port otherwise.
func targetAllocatorEndpoint(base string, opts Options) string {
	if opts.TLS == nil {
		return base
	}
	return "https://" + strings.TrimSuffix(strings.TrimPrefix(base, "http://"), ":80") + ":443"
}

// taBaseURL is the address of the TA's Service, which the operator names after the collector.
func taBaseURL(opts Options) (string, error) {
	service := opts.CollectorName + "-targetallocator"
	if opts.TargetAllocatorService != "" {
		service = opts.TargetAllocatorService
	}
	if opts.CollectorName == "" {
		return "", errorf(KindInvalidOptions, "collector name is empty")
	}
	if errs := validation.IsDNS1035Label(service); len(errs) > 0 {
		return "", errorf(KindInvalidOptions, "collector name %q does not give a valid target allocator service name %q: %s", opts.CollectorName, service, strings.Join(errs, "; "))
	}
	// A placeholder with these characters would change the URL's structure.
	if p := placeholder(opts); strings.ContainsAny(p, "&#?/ \t\r\n") {
		return "", errorf(KindInvalidOptions, "collector id placeholder %q must not contain spaces or any of & # ? /", p)
	}
	return fmt.Sprintf("http://%s:80", service), nil
}

func placeholder(opts Options) string {
	if opts.CollectorIDPlaceholder == "" {
		return DefaultCollectorIDPlaceholder
	}
	return opts.CollectorIDPlaceholder
}

// isServiceDiscovery matches the keys that give Prometheus targets.
func isServiceDiscovery(key string) bool {
	return key == "static_configs" || strings.HasSuffix(key, "_sd_configs")
}

// pointAtTA replaces the service discovery of one scrape config by the TA's http_sd URL.
// The new key takes the place and head comment of the first key removed, so the config
// reads as the user wrote it; a job without discovery gets it at the end. Foot comments of
// removed keys move to the key before them, which keeps them in place. A scrape config that
// already has exactly this discovery is left as it is, comments and all: rewriting a
// rewritten config must change nothing.
func pointAtTA(sc *yaml.Node, target string) {
	if pointsAt(sc, target) {
		return
	}
	key := scalar("http_sd_configs")
	value := sequence(mapping(scalar("url"), scalar(target)))
	var out []*yaml.Node
	placed := false
	for i := 0; i+1 < len(sc.Content); i += 2 {
		k, v := sc.Content[i], sc.Content[i+1]
		if k.Kind != yaml.ScalarNode || !isServiceDiscovery(k.Value) {
			out = append(out, k, v)
			continue
		}
		if !placed {
			key.HeadComment = k.HeadComment
			out = append(out, key, value)
			placed = true
		}
		if k.FootComment != "" {
			prev := out[len(out)-2]
			prev.FootComment = strings.TrimPrefix(prev.FootComment+"\n"+k.FootComment, "\n")
		}
	}
	if !placed {
		out = append(out, key, value)
	}
	sc.Content = out
}

// pointsAt reports whether the only service discovery of sc is an http_sd_configs with the
// single entry {url: target}.
func pointsAt(sc *yaml.Node, target string) bool {
	var sd []*yaml.Node
	for i := 0; i+1 < len(sc.Content); i += 2 {
		if k := sc.Content[i]; k.Kind == yaml.ScalarNode && isServiceDiscovery(k.Value) {
			sd = append(sd, k, sc.Content[i+1])
		}
	}
	if len(sd) != 2 || sd[0].Value != "http_sd_configs" {
		return false
	}
	list := sd[1]
	if list.Kind != yaml.SequenceNode || len(list.Content) != 1 {
		return false
	}
	entry := list.Content[0]
	return entry.Kind == yaml.MappingNode && len(entry.Content) == 2 &&
		entry.Content[0].Value == "url" && entry.Content[1].Kind == yaml.ScalarNode && entry.Content[1].Value == target
}
