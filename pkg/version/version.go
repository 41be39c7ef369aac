// Package version holds the project version, stamped at build time by the Makefile's -ldflags.
package version

// Version is the release of the operator and the target allocator; the operator uses it to pick the default
// target allocator image tag, so both always come from one release.
var Version = "0.1.0"
