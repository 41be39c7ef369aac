// Package handoff_test measures, end to end, what a collector joining or leaving costs the targets that move:
// the target allocator binary runs against a real API server, collector pods are API objects, and every
// collector is Prometheus' own http_sd Discoverer polling its URL from its own pod IP. The tests record every list
// each collector was delivered and report, per phase, how long a moved target was in no live collector's list
// and how long it was in two.
//
// Environment:
//
//	HANDOFF_TA_CONFIG     a YAML fragment appended to the target allocator's config file, e.g.
//	                      $'handoff:\n  mode: immediate' (the behaviour before make-before-break, for the
//	                      "before" figures); empty: the binary's default, make-before-break.
//	HANDOFF_EXPECT_NO_GAP true (the default) asserts the make-before-break guarantees: no moved target is ever
//	                      in no live list, and none is in two lists longer than the bound the handoff allows.
//	                      0 (or false) only measures. Never asserted when the fragment sets mode: immediate.
//	HANDOFF_TIMING        random (the default): the scale-out's pod turns Ready, and the scale-in starts, at a
//	                      random point of the collectors' refresh cycles, so the figures are those of a typical
//	                      move and vary from run to run. worst: both come when they hurt most without a handoff
//	                      (Ready right after the joining collector refreshed, the delete right before the
//	                      leaving one refreshes), so that today's allocator leaves nearly every moved target
//	                      unscraped for a while and HANDOFF_EXPECT_NO_GAP must fail against it.
//	HANDOFF_SEED          replays the random phases and delays of a run whose log showed that seed.
package handoff_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

var suite taprocess.Suite

func TestMain(m *testing.M) { os.Exit(taprocess.Run(m, &suite)) }

// settings is what the environment chooses for a run.
type settings struct {
	// fragment is appended to the target allocator config as is.
	fragment string
	// mode is handoff.mode of the fragment, or the binary's default, make-before-break.
	mode string
	// expectNoGap turns on the make-before-break assertions.
	expectNoGap bool
	// worst times the moves against collector 5's refreshes so that today's allocator leaves every moved target
	// unscraped for a while; otherwise they come at random points of the collectors' cycles.
	worst bool
	// seed drives the collectors' phases and the scenario's random delays.
	seed uint64
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	s := settings{fragment: os.Getenv("HANDOFF_TA_CONFIG"), mode: "make-before-break", expectNoGap: true}
	if s.fragment != "" {
		var f struct {
			Handoff struct {
				Mode string `json:"mode"`
			} `json:"handoff"`
		}
		if err := yaml.Unmarshal([]byte(s.fragment), &f); err != nil {
			t.Fatalf("HANDOFF_TA_CONFIG is no YAML: %v", err)
		}
		if f.Handoff.Mode != "" {
			s.mode = f.Handoff.Mode
		}
	}
	switch v := os.Getenv("HANDOFF_TIMING"); v {
	case "", "random":
	case "worst":
		s.worst = true
	default:
		t.Fatalf("HANDOFF_TIMING=%q: want random or worst", v)
	}
	s.seed = rand.Uint64()
	if v := os.Getenv("HANDOFF_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("HANDOFF_SEED=%q: %v", v, err)
		}
		s.seed = n
	}
	if v := os.Getenv("HANDOFF_EXPECT_NO_GAP"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			t.Fatalf("HANDOFF_EXPECT_NO_GAP=%q: %v", v, err)
		}
		s.expectNoGap = b
	}
	// immediate keeps the gaps by contract, so there is nothing to expect of it.
	s.expectNoGap = s.expectNoGap && s.mode != "immediate"
	return s
}

func (s settings) String() string {
	return fmt.Sprintf("mode=%s expect_no_gap=%t timing=%s", s.mode, s.expectNoGap, s.timing())
}

func (s settings) timing() string {
	if s.worst {
		return "worst"
	}
	return "random"
}
