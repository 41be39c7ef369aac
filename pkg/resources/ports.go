package resources

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/yamlbound"
)

// defaultPort is where a receiver listens when its config names no endpoint.
type defaultPort struct {
	port     int32
	protocol corev1.Protocol
}

// receiverDefaults maps receiver type -> protocol ("" for receivers without protocols) -> default port, for the
// receivers people configure without an endpoint. Receivers that do not listen (prometheus, filelog, ...) are
// simply absent.
var receiverDefaults = map[string]map[string]defaultPort{
	"otlp": {"grpc": {4317, corev1.ProtocolTCP}, "http": {4318, corev1.ProtocolTCP}},
	"jaeger": {
		"grpc":           {14250, corev1.ProtocolTCP},
		"thrift_http":    {14268, corev1.ProtocolTCP},
		"thrift_compact": {6831, corev1.ProtocolUDP},
		"thrift_binary":  {6832, corev1.ProtocolUDP},
	},
	"zipkin":     {"": {9411, corev1.ProtocolTCP}},
	"opencensus": {"": {55678, corev1.ProtocolTCP}},
}

// udpProtocols are protocol keys whose endpoint is UDP even when written explicitly.
var udpProtocols = map[string]bool{"thrift_compact": true, "thrift_binary": true}

// listenAll is the host a receiver whose port a Service publishes must listen on: collectors since v0.104 bind a
// receiver without an endpoint to localhost, which no Service reaches.
const listenAll = "0.0.0.0"

// receiverPorts finds the ports the collector's receivers listen on, in receiver name order, one per port number,
// and the endpoints to write into receivers that listen on a default port without naming an endpoint.
func receiverPorts(config string) ([]corev1.ServicePort, []configrewrite.ReceiverEndpoint, error) {
	var doc struct {
		Receivers map[string]map[string]any `json:"receivers"`
	}
	if err := yamlbound.Unmarshal([]byte(config), &doc); err != nil {
		return nil, nil, fmt.Errorf("the collector config is not valid YAML: %w", err)
	}
	var ports []corev1.ServicePort
	var endpoints []configrewrite.ReceiverEndpoint
	listen := func(receiver, protocol string, p defaultPort) {
		if p.port != 0 {
			endpoints = append(endpoints, configrewrite.ReceiverEndpoint{Receiver: receiver, Protocol: protocol,
				Endpoint: net.JoinHostPort(listenAll, strconv.Itoa(int(p.port)))})
		}
	}
	seen := map[int32]bool{}
	names := map[string]bool{}
	add := func(name string, p defaultPort) {
		if p.port == 0 || seen[p.port] {
			return
		}
		seen[p.port] = true
		name = portName(name)
		if names[name] {
			name = fmt.Sprintf("port-%d", p.port)
		}
		names[name] = true
		ports = append(ports, corev1.ServicePort{Name: name, Port: p.port, Protocol: p.protocol})
	}

	receiverNames := make([]string, 0, len(doc.Receivers))
	for name := range doc.Receivers {
		receiverNames = append(receiverNames, name)
	}
	slices.Sort(receiverNames)
	for _, name := range receiverNames {
		typ, _, _ := strings.Cut(name, "/")
		cfg := doc.Receivers[name]
		defaults := receiverDefaults[typ]
		if p, ok := endpointPort(cfg["endpoint"]); ok {
			add(name, defaultPort{p, corev1.ProtocolTCP})
			continue
		}
		if protocols, ok := cfg["protocols"].(map[string]any); ok {
			keys := make([]string, 0, len(protocols))
			for k := range protocols {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, proto := range keys {
				pcfg, _ := protocols[proto].(map[string]any)
				if p, ok := endpointPort(pcfg["endpoint"]); ok {
					protocol := corev1.ProtocolTCP
					if udpProtocols[proto] {
						protocol = corev1.ProtocolUDP
					}
					add(name+"-"+proto, defaultPort{p, protocol})
				} else {
					add(name+"-"+proto, defaults[proto])
					listen(name, proto, defaults[proto])
				}
			}
			continue
		}
		add(name, defaults[""])
		listen(name, "", defaults[""])
	}
	return ports, endpoints, nil
}

// endpointPort reads the port of a "host:port" endpoint.
func endpointPort(v any) (int32, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return 0, false
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return 0, false
	}
	p, err := strconv.ParseInt(port, 10, 32)
	if err != nil || p <= 0 || p > 65535 {
		return 0, false
	}
	return int32(p), true
}

// portName makes a valid port name (IANA_SVC_NAME: at most 15 lower-case alphanumerics or '-', no leading,
// trailing or double '-').
func portName(s string) string {
	var b strings.Builder
	lastDash := true
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			lastDash = false
		} else if !lastDash {
			b.WriteByte('-')
			lastDash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 15 {
		name = strings.TrimRight(name[:15], "-")
	}
	if name == "" {
		name = "port"
	}
	return name
}
