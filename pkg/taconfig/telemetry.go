package taconfig

import "fmt"

// Telemetry mirrors the reference TA's telemetry block, an OpenTelemetry declarative-configuration fragment:
//
//	telemetry:
//	  metrics:
//	    readers:
//	    - periodic:
//	        interval: 60000   # milliseconds
//	        timeout: 30000
//	        exporter:
//	          otlp_grpc:      # or otlp_http
//	            endpoint: collector:4317
//	            headers: [{name: Authorization, value: "..."}]
//	            temporality_preference: delta
//	            tls: {insecure: true}
type Telemetry struct {
	Metrics TelemetryMetrics
}

// TelemetryMetrics holds the metric readers.
type TelemetryMetrics struct {
	Readers []MetricReader
}

// MetricReader is one reader; only periodic readers exist in the reference.
type MetricReader struct {
	Periodic *PeriodicReader
}

// PeriodicReader pushes at a fixed interval.
type PeriodicReader struct {
	// Interval and Timeout are in milliseconds, as in the declarative configuration.
	Interval int64
	Timeout  int64
	Exporter MetricExporter
}

// MetricExporter names one OTLP exporter.
type MetricExporter struct {
	OTLPGRPC *OTLPExporter
	OTLPHTTP *OTLPExporter
}

// OTLPExporter is an OTLP endpoint. Headers may hold credentials: they are never logged.
type OTLPExporter struct {
	Endpoint              string
	Headers               []NameValue
	HeadersList           string
	Compression           string
	Timeout               int64
	TemporalityPreference string
	TLS                   OTLPTLS
}

// NameValue is one header.
type NameValue struct {
	Name  string
	Value string
}

// OTLPTLS is the exporter's TLS block.
type OTLPTLS struct {
	Insecure   bool
	CAFile     string
	CertFile   string
	KeyFile    string
	ServerName string
}

// Enabled reports whether the block configures any reader.
func (t Telemetry) Enabled() bool { return len(t.Metrics.Readers) > 0 }

// notApplicable lists what the file sets that this TA accepts without acting on it.
func (c *Config) notApplicable() []string {
	var out []string
	if c.Telemetry.Enabled() {
		out = append(out, fmt.Sprintf("telemetry.metrics.readers (%d reader(s)): this target allocator does not push "+
			"its own metrics over OTLP; scrape its /metrics instead", len(c.Telemetry.Metrics.Readers)))
	}
	return out
}
