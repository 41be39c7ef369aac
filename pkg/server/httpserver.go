package server

import (
	"net/http"
	"time"
)

// Limits bound what one connection or request can hold of the TA. Both listeners (plain and mTLS) are built with
// them by NewHTTPServer.
type Limits struct {
	// ReadHeaderTimeout bounds the request line and headers (and, on the mTLS listener, the TLS handshake), so a
	// client that trickles bytes cannot hold a connection open.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the whole request. Every route is a GET without a body.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. It also bounds how long a slow reader keeps an old snapshot (whose
	// responses it is being sent) from being freed.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no new request. Without it (and without
	// ReadTimeout, which net/http falls back to) idle connections are held for ever.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; larger requests get 431.
	MaxHeaderBytes int
}

// DefaultLimits suit collectors polling every 30-60 s (Prometheus' http_sd and the target_allocator block): an
// idle connection outlives the poll interval, so it is reused, but not much longer. The largest response, one
// collector's share at a million targets, is tens of MB, written well within WriteTimeout on a cluster network.
// Collectors' requests carry a few hundred bytes of headers.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       90 * time.Second,
	MaxHeaderBytes:    32 << 10,
}

// NewHTTPServer returns the http.Server for one of the TA's listeners: handler h with the limits l. A zero field
// of l takes its value from DefaultLimits, so no listener is ever built without a bound.
func NewHTTPServer(h http.Handler, l Limits) *http.Server {
	d := DefaultLimits
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: or(l.ReadHeaderTimeout, d.ReadHeaderTimeout),
		ReadTimeout:       or(l.ReadTimeout, d.ReadTimeout),
		WriteTimeout:      or(l.WriteTimeout, d.WriteTimeout),
		IdleTimeout:       or(l.IdleTimeout, d.IdleTimeout),
		MaxHeaderBytes:    or(l.MaxHeaderBytes, d.MaxHeaderBytes),
	}
}

func or[T time.Duration | int](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
