package configrewrite

import "go.yaml.in/yaml/v3"

// setTargetAllocatorBlock gives a prometheus receiver the target_allocator block that makes the
// collector poll the TA's /scrape_configs, where all its jobs are: the config's own and those
// made from Prometheus Operator resources. The operator owns the block: a user's block is
// replaced (key, position and comments kept), because a stale endpoint or id would silently
// scrape nothing. A block that is already exactly ours is left as it is, so that rewriting a
// rewritten config changes nothing. r is the receiver's value; a null receiver
// (`prometheus:`) becomes a mapping.
//
// With tls, the block also carries the client certificate files (configtls keys ca_file,
// cert_file, key_file) and reload_interval, so the collector picks up renewed files itself.
func setTargetAllocatorBlock(r *yaml.Node, endpoint, collectorID string, tls *TLSFiles) {
	want := mapping(
		scalar("endpoint"), scalar(endpoint),
		scalar("interval"), scalar(TargetAllocatorInterval),
		scalar("collector_id"), scalar(collectorID),
	)
	if tls != nil {
		want.Content = append(want.Content, scalar("tls"), mapping(
			scalar("ca_file"), scalar(tls.CAFile),
			scalar("cert_file"), scalar(tls.CertFile),
			scalar("key_file"), scalar(tls.KeyFile),
			scalar("reload_interval"), scalar(TLSReloadInterval),
		))
	}
	if r.Kind != yaml.MappingNode {
		// Only a null gets here: findReceivers rejects any other non-mapping receiver.
		r.Kind, r.Tag, r.Value, r.Style = yaml.MappingNode, "!!map", "", 0
		r.Content = nil
	}
	for i := 0; i+1 < len(r.Content); i += 2 {
		if k := r.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "target_allocator" {
			if !sameStringMapping(r.Content[i+1], want) {
				r.Content[i+1] = want
			}
			return
		}
	}
	r.Content = append(r.Content, scalar("target_allocator"), want)
}

// sameStringMapping reports whether a is a mapping with exactly b's keys and values (strings
// or nested mappings of strings), in b's order.
func sameStringMapping(a, b *yaml.Node) bool {
	if a.Kind != yaml.MappingNode || len(a.Content) != len(b.Content) {
		return false
	}
	for i, n := range a.Content {
		w := b.Content[i]
		if w.Kind == yaml.MappingNode {
			if !sameStringMapping(n, w) {
				return false
			}
			continue
		}
		if n.Kind != yaml.ScalarNode || n.Value != w.Value {
			return false
		}
	}
	return true
}

// emptyScrapeConfigs removes every job from a receiver's scrape_configs list (nil: the receiver
// has none), which is then written as `scrape_configs: []`: with a target_allocator block the
// receiver gets every job, the config's included, from the TA's /scrape_configs, and accepts
// an empty list. The key stays, with its comments; the removed jobs' comments go with them.
// Anchors were expanded by normalize, so no alias elsewhere points into the removed jobs.
func emptyScrapeConfigs(list *yaml.Node) {
	if list == nil || len(list.Content) == 0 {
		return
	}
	list.Content = nil
}
