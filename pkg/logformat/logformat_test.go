package logformat

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

func TestJSONLinesCarryMessageAndKeys(t *testing.T) {
	var buf bytes.Buffer
	if err := Configure(JSON, "1", &buf); err != nil {
		t.Fatal(err)
	}
	defer klog.ClearLogger()
	klog.InfoS("collector synced", "collector", "team-a/x", "children", 4)
	klog.Background().V(1).Info("detail kept at -v=1")
	klog.Background().V(2).Info("detail dropped at -v=1")
	klog.ErrorS(nil, "sync failed", "reason", "Conflict")
	klog.Flush()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var msgs []string
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		msgs = append(msgs, rec["msg"].(string))
		if rec["msg"] == "collector synced" && (rec["collector"] != "team-a/x" || rec["children"] != float64(4)) {
			t.Errorf("key/value pairs lost: %v", rec)
		}
		if rec["msg"] == "sync failed" && rec["level"] != "ERROR" {
			t.Errorf("error logged at level %v", rec["level"])
		}
	}
	want := []string{"collector synced", "detail kept at -v=1", "sync failed"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Errorf("messages %q, want %q", msgs, want)
	}
}

func TestTextLeavesKlogAlone(t *testing.T) {
	var buf bytes.Buffer
	if err := Configure(Text, "0", &buf); err != nil {
		t.Fatal(err)
	}
	klog.InfoS("plain")
	klog.Flush()
	if buf.Len() != 0 {
		t.Errorf("text format wrote through the JSON sink: %q", buf.String())
	}
}

func TestBadInputIsRefused(t *testing.T) {
	for _, c := range []struct{ format, v string }{{"xml", "0"}, {JSON, "two"}, {JSON, "-1"}} {
		if err := Configure(c.format, c.v, &bytes.Buffer{}); err == nil {
			t.Errorf("Configure(%q, %q) accepted", c.format, c.v)
		}
	}
}
