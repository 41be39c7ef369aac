package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

const contentTypeJSON = "application/json"

// writeJSON writes a ready JSON body with its length, so even a large response is not chunked.
func writeJSON[B []byte | string](w http.ResponseWriter, body B) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	switch b := any(body).(type) {
	case string:
		io.WriteString(w, b) // http.ResponseWriter writes strings without copying them to a []byte first
	case []byte:
		w.Write(b)
	}
}

// writeBody writes an http_sd body with its length (so it is not chunked) and reports whether it went out.
// Body.WriteTo hands net/http the assembled body in one Write, or chunks of 256 KB: net/http passes a large
// []byte to the connection in one write(2) once its buffers are empty, where a string or small writes would be
// copied through its 2 KB and 4 KB buffers, one write(2) per 4 KB (about 2,300 for a 9 MB response; most of the
// handler's CPU under load before). A HEAD request gets the headers only.
func writeBody(w http.ResponseWriter, r *http.Request, body allocator.Body) error {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := body.WriteTo(w)
	return err
}

func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, s)
}

// writeError answers with a JSON error body: every 4xx of the API is JSON, so clients can show the reason.
func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
