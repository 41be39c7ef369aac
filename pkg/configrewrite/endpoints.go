package configrewrite

import "go.yaml.in/yaml/v3"

// ReceiverEndpoint is an address a receiver must listen on because a Service publishes its port.
type ReceiverEndpoint struct {
	// Receiver is the receiver's key under receivers (e.g. "otlp" or "otlp/internal").
	Receiver string
	// Protocol is the key under the receiver's protocols (e.g. "grpc"), or "" for a receiver with a single
	// endpoint of its own (zipkin).
	Protocol string
	// Endpoint is the host:port to listen on, e.g. "0.0.0.0:4317".
	Endpoint string
}

// SetReceiverEndpoints writes each endpoint into the receiver (or the receiver's protocol) it names, where that
// has no endpoint of its own; an endpoint the user wrote always stays.
//
// Why: collectors since v0.104 bind a receiver without an endpoint to localhost, so a Service the operator
// publishes for its default port would reach nothing. The reference operator fills in 0.0.0.0 for such receivers;
// so do we. A config that needs no change is returned as given, byte for byte, so configs without such
// receivers (the seed example among them) keep their exact text.
func SetReceiverEndpoints(config string, endpoints []ReceiverEndpoint) (string, error) {
	if len(endpoints) == 0 {
		return config, nil
	}
	doc, err := parseDocument(config)
	if err != nil || doc == nil || len(doc.Content) == 0 {
		return config, err
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return config, nil
	}
	receivers, err := lookup(root, "receivers", "collector config")
	if err != nil || receivers == nil || receivers.Kind != yaml.MappingNode {
		return config, err
	}
	changed := false
	for _, e := range endpoints {
		set, err := setEndpoint(receivers, e)
		if err != nil {
			return "", err
		}
		changed = changed || set
	}
	if !changed {
		return config, nil
	}
	return stableEncode(doc)
}

// setEndpoint sets e's endpoint where it is missing and reports whether it changed the document.
func setEndpoint(receivers *yaml.Node, e ReceiverEndpoint) (bool, error) {
	where := "receivers." + e.Receiver
	parent, key := receivers, e.Receiver
	if e.Protocol != "" {
		r, err := lookup(receivers, e.Receiver, "receivers")
		if err != nil || r == nil || r.Kind != yaml.MappingNode {
			return false, err
		}
		protocols, err := lookup(r, "protocols", where)
		if err != nil || protocols == nil || protocols.Kind != yaml.MappingNode {
			return false, err
		}
		parent, key, where = protocols, e.Protocol, where+".protocols"
	}
	v, err := lookup(parent, key, where)
	if err != nil {
		return false, err
	}
	switch {
	case v == nil:
		return false, nil // nothing listens there
	case isNull(v):
		// `grpc:` alone: the receiver's defaults apply; make them a mapping with the endpoint, keeping the
		// comments written there.
		m := mapping(scalar("endpoint"), scalar(e.Endpoint))
		m.HeadComment, m.LineComment, m.FootComment = v.HeadComment, v.LineComment, v.FootComment
		*v = *m
		return true, nil
	case v.Kind != yaml.MappingNode:
		return false, nil // not a shape the collector accepts; its own error will say so
	}
	ep, err := lookup(v, "endpoint", where+"."+key)
	if err != nil {
		return false, err
	}
	switch {
	case ep == nil:
		v.Content = append([]*yaml.Node{scalar("endpoint"), scalar(e.Endpoint)}, v.Content...)
	case isNull(ep) || (ep.Kind == yaml.ScalarNode && ep.Value == ""):
		*ep = *scalar(e.Endpoint)
	default:
		return false, nil
	}
	return true, nil
}
