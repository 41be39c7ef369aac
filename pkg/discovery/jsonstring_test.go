package discovery

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestAppendJSONStringMatchesEncodingJSON compares with encoding/json (HTML escaping off) over tricky and random
// strings, invalid UTF-8 included.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "é日本", "\xff\xfe", "a\u2028b\u2029", "<>&",
		"__meta_kubernetes_pod_label_app_kubernetes_io_name", "0123456789abcdef0123456789abcdef\"0123456789", "0123456789abcdef\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\"\\\n\x01\x7f\xc3\xa9\xe2\x80\xa8\xff_:/.")
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		w := bytes.TrimSuffix(want.Bytes(), []byte("\n"))
		got, verbatim := appendJSONString([]byte{'"'}, s)
		got = append(got, '"')
		if !bytes.Equal(got, w) {
			t.Errorf("%q: got %s, want %s", s, got, w)
		}
		if verbatim != (string(got[1:len(got)-1]) == s) {
			t.Errorf("%q: verbatim = %v", s, verbatim)
		}
	}
}
