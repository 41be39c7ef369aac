package handoff_test

import (
	"testing"
	"time"
)

// The figures of a scripted history are exact: the end-to-end runs can only be trusted if the arithmetic is.
func TestRecorderFigures(t *testing.T) {
	targets := []string{"a", "b", "c"}
	rec := newRecorder(targets)
	t0 := time.Unix(1_000_000, 0)
	at := t0
	rec.last = t0
	rec.now = func() time.Time { return at }
	step := func(seconds float64) { at = t0.Add(time.Duration(seconds * float64(time.Second))) }

	a := rec.addCollector("A", 1)
	b := rec.addCollector("B", 1)
	rec.setLive(a, true)
	rec.setLive(b, true)
	rec.update(a, []string{"a", "b"})
	rec.update(b, []string{"c"})
	if err := rec.settled(); err != nil {
		t.Fatal(err)
	}

	step(1)
	rec.beginPhase("moves")
	// a moves make-before-break: B has it 1.5 s before A drops it.
	step(2)
	rec.update(b, []string{"a", "c"})
	step(3.5)
	rec.update(a, []string{"b"})
	// b moves break-before-make: nobody has it for 0.7 s.
	step(4)
	rec.update(a, nil)
	step(4.7)
	rec.update(b, []string{"a", "b", "c"})
	step(6)
	got := rec.endPhase().summarize(targets)
	want := summary{phase: "moves", length: 5 * time.Second, moved: 2, gapped: 1, maxGap: 700 * time.Millisecond,
		gapTotal: 700 * time.Millisecond, overlap: 1500 * time.Millisecond, maxOverlap: 1500 * time.Millisecond, worst: "b"}
	if got != want {
		t.Errorf("moves:\n got %+v\nwant %+v", got, want)
	}

	// B's poller stops with every target: each is in no live list until A has it, 0.25 s later. A stopped
	// collector's list no longer counts, whatever it last held.
	rec.beginPhase("leave")
	step(7)
	rec.setLive(b, false)
	step(7.25)
	rec.update(a, targets)
	step(8)
	got = rec.endPhase().summarize(targets)
	want = summary{phase: "leave", length: 2 * time.Second, moved: 3, gapped: 3, maxGap: 250 * time.Millisecond,
		gapTotal: 750 * time.Millisecond, worst: "a"}
	if got != want {
		t.Errorf("leave:\n got %+v\nwant %+v", got, want)
	}
	if err := rec.settled(); err != nil {
		t.Error(err)
	}

	// An address that is no target of the job is reported.
	rec.update(a, []string{"a", "b", "c", "stray"})
	if err := rec.settled(); err == nil {
		t.Error("a list with an unknown address counts as settled")
	}
}
