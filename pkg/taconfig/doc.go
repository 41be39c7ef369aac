// Package taconfig loads the Target Allocator's configuration file: the reference TA's keys, with unknown keys
// rejected by name and line, the embedded Prometheus configuration parsed and validated by Prometheus' own config
// package, and every error naming the file.
package taconfig
