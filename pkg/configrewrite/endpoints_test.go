package configrewrite

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetReceiverEndpoints(t *testing.T) {
	config := `receivers:
  otlp:
    protocols:
      grpc: # default port
      http:
        endpoint: localhost:4318
  zipkin:
  opencensus:
    endpoint: ""
exporters:
  debug:
`
	got, err := SetReceiverEndpoints(config, []ReceiverEndpoint{
		{Receiver: "otlp", Protocol: "grpc", Endpoint: "0.0.0.0:4317"},
		{Receiver: "otlp", Protocol: "http", Endpoint: "0.0.0.0:4318"},
		{Receiver: "zipkin", Endpoint: "0.0.0.0:9411"},
		{Receiver: "opencensus", Endpoint: "0.0.0.0:55678"},
		{Receiver: "absent", Endpoint: "0.0.0.0:1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `receivers:
  otlp:
    protocols:
      grpc: # default port
        endpoint: 0.0.0.0:4317
      http:
        endpoint: localhost:4318
  zipkin:
    endpoint: 0.0.0.0:9411
  opencensus:
    endpoint: 0.0.0.0:55678
exporters:
  debug:
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	again, err := SetReceiverEndpoints(got, []ReceiverEndpoint{{Receiver: "otlp", Protocol: "grpc", Endpoint: "0.0.0.0:4317"}})
	if err != nil || again != got {
		t.Errorf("not a fixed point: %v\n%s", err, again)
	}
}

// TestSeedNeedsNoEndpoint: the seed's only receiver is prometheus, which listens on nothing, so its config stays
// byte for byte whatever endpoints are asked for elsewhere.
func TestSeedNeedsNoEndpoint(t *testing.T) {
	seed, err := os.ReadFile("testdata/seed.collector.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := SetReceiverEndpoints(string(seed), []ReceiverEndpoint{{Receiver: "otlp", Protocol: "grpc", Endpoint: "0.0.0.0:4317"}})
	if err != nil || got != string(seed) {
		t.Errorf("seed changed: %v\n%s", err, got)
	}
}
