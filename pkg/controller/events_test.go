package controller

import (
	"strings"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// A first sync creates about ten children. One Normal Event per child doubled the operator's writes and, behind
// the client-side rate limit, kept it writing Events long after the children were done (test/scale). The sync
// emits one Event per reason naming every child instead.
func TestASyncEmitsOneEventPerReason(t *testing.T) {
	col := seed(t)
	f := newFixture(t, col)
	f.converge()
	var created []string
	for len(f.recorder.Events) > 0 {
		if e := <-f.recorder.Events; strings.HasPrefix(e, "Normal "+ReasonCreated+" ") {
			created = append(created, e)
		}
	}
	if len(created) != 1 {
		t.Fatalf("want one Created event, got %d: %q", len(created), created)
	}
	children, err := resources.Build(col, f.c.opts)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, o := range children.ConfigMaps {
		want = append(want, "ConfigMap "+o.Name)
	}
	for _, o := range children.Services {
		want = append(want, "Service "+o.Name)
	}
	for _, o := range children.Deployments {
		want = append(want, "Deployment "+o.Name)
	}
	if len(want) < 3 {
		t.Fatalf("the seed builds only %v: the test checks too little", want)
	}
	for _, w := range want {
		if !strings.Contains(created[0], w) {
			t.Errorf("Created event does not name %s: %q", w, created[0])
		}
	}
}
