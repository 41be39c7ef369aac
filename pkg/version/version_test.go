package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "9.8.7"
	i := Get()
	if i.Version != "9.8.7" || i.GoVersion != runtime.Version() || i.Commit == "" {
		t.Fatalf("Get() = %+v", i)
	}
	s := i.String("operator")
	for _, want := range []string{"operator 9.8.7", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, "commit " + i.Commit} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
