package taconfig

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

func parseTelemetry(n *yaml.Node, t *Telemetry) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		if key.Value != "metrics" {
			return unknownKey(key)
		}
		return eachKey(val, func(key, val *yaml.Node, _ int) error {
			if key.Value != "readers" {
				return unknownKey(key)
			}
			return eachItem(val, "readers", func(item *yaml.Node) error {
				var r MetricReader
				err := eachKey(item, func(key, val *yaml.Node, _ int) error {
					if key.Value != "periodic" {
						return unknownKey(key)
					}
					r.Periodic = &PeriodicReader{}
					return parsePeriodicReader(val, r.Periodic)
				})
				t.Metrics.Readers = append(t.Metrics.Readers, r)
				return err
			})
		})
	})
}

func parsePeriodicReader(n *yaml.Node, p *PeriodicReader) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "interval":
			return decode(val, &p.Interval)
		case "timeout":
			return decode(val, &p.Timeout)
		case "exporter":
			return eachKey(val, func(key, val *yaml.Node, _ int) error {
				e := &OTLPExporter{}
				switch key.Value {
				case "otlp_grpc":
					p.Exporter.OTLPGRPC = e
				case "otlp_http":
					p.Exporter.OTLPHTTP = e
				default:
					return unknownKey(key)
				}
				return parseOTLPExporter(val, e)
			})
		}
		return unknownKey(key)
	})
}

// parseOTLPExporter accepts the declarative configuration's OTLP exporter keys, the older spellings of the TLS
// files (certificate, client_key, client_certificate, insecure beside the endpoint) included.
func parseOTLPExporter(n *yaml.Node, e *OTLPExporter) error {
	return eachKey(n, func(key, val *yaml.Node, _ int) error {
		switch key.Value {
		case "endpoint":
			return decode(val, &e.Endpoint)
		case "headers":
			return eachItem(val, "headers", func(item *yaml.Node) error {
				var h NameValue
				err := eachKey(item, func(key, val *yaml.Node, _ int) error {
					switch key.Value {
					case "name":
						return decode(val, &h.Name)
					case "value":
						return decode(val, &h.Value)
					}
					return unknownKey(key)
				})
				e.Headers = append(e.Headers, h)
				return err
			})
		case "headers_list":
			return decode(val, &e.HeadersList)
		case "compression":
			return decode(val, &e.Compression)
		case "timeout":
			return decode(val, &e.Timeout)
		case "temporality_preference":
			return decode(val, &e.TemporalityPreference)
		case "default_histogram_aggregation":
			var ignored string
			return decode(val, &ignored)
		case "insecure":
			return decode(val, &e.TLS.Insecure)
		case "certificate":
			return decode(val, &e.TLS.CAFile)
		case "client_certificate":
			return decode(val, &e.TLS.CertFile)
		case "client_key":
			return decode(val, &e.TLS.KeyFile)
		case "tls":
			return eachKey(val, func(key, val *yaml.Node, _ int) error {
				switch key.Value {
				case "insecure":
					return decode(val, &e.TLS.Insecure)
				case "ca_file", "certificate_file":
					return decode(val, &e.TLS.CAFile)
				case "cert_file", "client_certificate_file":
					return decode(val, &e.TLS.CertFile)
				case "key_file", "client_key_file":
					return decode(val, &e.TLS.KeyFile)
				case "server_name":
					return decode(val, &e.TLS.ServerName)
				}
				return unknownKey(key)
			})
		}
		return unknownKey(key)
	})
}

// eachItem calls f for every element of a sequence node; null is an empty list.
func eachItem(n *yaml.Node, what string, f func(*yaml.Node) error) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: %s must be a list", n.Line, what)
	}
	for _, item := range n.Content {
		if err := f(item); err != nil {
			return err
		}
	}
	return nil
}
