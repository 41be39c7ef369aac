// Package logformat selects how both binaries write their logs: klog's text lines (the default) or one JSON object
// per line for log pipelines. JSON goes through the standard library's slog JSON handler, which klog accepts as its
// sink (klog.SetSlogLogger), so every klog call site (InfoS, ErrorS, contextual loggers) keeps working unchanged and
// no logging library beyond klog and the standard library is pulled in.
package logformat

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"k8s.io/klog/v2"
)

const (
	// Text is klog's own line format.
	Text = "text"
	// JSON is one JSON object per line: time, level, msg and the key/value pairs of the call.
	JSON = "json"
)

// Formats lists the accepted --log-format values, for help texts.
var Formats = []string{Text, JSON}

// Check reports whether format is a known --log-format value, so flag parsing can refuse it before anything runs.
func Check(format string) error {
	switch format {
	case "", Text, JSON:
		return nil
	}
	return fmt.Errorf("unknown log format %q (want one of %v)", format, Formats)
}

// Configure makes klog write in format to w. verbosity is klog's -v value (a string, as the flag holds it):
// with JSON, V(n) messages are kept for n <= verbosity, as klog does for text.
func Configure(format, verbosity string, w io.Writer) error {
	if err := Check(format); err != nil {
		return err
	}
	switch format {
	case JSON:
		v := 0
		if verbosity != "" {
			n, err := strconv.Atoi(verbosity)
			if err != nil || n < 0 {
				return fmt.Errorf("log verbosity %q is not a non-negative integer", verbosity)
			}
			v = n
		}
		// logr's V(n) is slog level -n; keep everything down to -verbosity.
		h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.Level(-v)})
		klog.SetSlogLogger(slog.New(h))
	}
	return nil
}
