// Package configrewrite turns an OpenTelemetry Collector config into the two configs a
// Target Allocator (TA) deployment needs: the collector's own config, whose prometheus
// receivers ask the TA for their targets through http_sd_configs, and the TA's config file,
// which holds the original scrape configs so the TA can run service discovery for them. With
// Prometheus CRs (Options.PrometheusCR) each prometheus receiver instead gets an empty
// scrape_configs and a target_allocator block, through which the collector pulls every job
// from the TA: the config's own jobs and those the TA makes from monitoring resources.
//
// Everything here is pure: text in, text out, no client calls, no global state. The
// collector copy keeps the user's key order, comments and `$$` escapes, because the
// collector itself un-escapes them later; the TA copy is un-escaped here, because the TA
// reads it without the collector's expansion.
package configrewrite
