// Package resources turns an OpenTelemetryCollector into the child objects the operator keeps in the cluster.
//
// Everything here is pure: a Collector and Options in, objects out, no client calls. The controller diffs
// these objects against its caches; golden files under testdata/ pin their exact content.
package resources
