package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
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
