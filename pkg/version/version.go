// Package version says which build a binary is: the release stamped by the Makefile's -ldflags ("dev" for an
// untagged build), and the commit and Go version that the Go toolchain records in every binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release of the operator and the target allocator, stamped by the Makefile from the git tag;
// "dev" for an untagged build. The operator picks the default target allocator image tag from it, so both always
// come from one release, and a dev operator runs a dev target allocator image.
var Version = "dev"

// Commit is the git commit, stamped by the Makefile; empty: taken from the Go toolchain's VCS stamp, when the build
// had one (GOFLAGS=-buildvcs=false builds have none).
var Commit = ""

// Info is what --version prints.
type Info struct {
	Version   string
	Commit    string // VCS revision, with "-dirty" when the tree had changes; "unknown" without VCS stamping
	GoVersion string
	Platform  string
}

// Get reads the build's information.
func Get() Info {
	info := Info{Version: Version, Commit: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if Commit != "" {
		info.Commit = Commit
		return info
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "unknown" {
		info.Commit += "-dirty"
	}
	return info
}

// String is the one line --version prints, for example
// "target-allocator 0.2.0 (commit 1a2b3c, go1.26.8, linux/amd64)".
func (i Info) String(binary string) string {
	return fmt.Sprintf("%s %s (commit %s, %s, %s)", binary, i.Version, i.Commit, i.GoVersion, i.Platform)
}

// ImageTag is the tag of this build's images: the release, or "dev" for an untagged build.
func ImageTag() string { return Version }
