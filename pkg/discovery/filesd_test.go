package discovery

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// recvUpdate returns the next non-empty update, or nil when none comes within d. Empty updates (the
// discoverer's proof that its previous update was applied) are skipped.
func recvUpdate(up <-chan []*targetgroup.Group, d time.Duration) []*targetgroup.Group {
	deadline := time.After(d)
	for {
		select {
		case tgs := <-up:
			if len(tgs) > 0 {
				return tgs
			}
		case <-deadline:
			return nil
		}
	}
}

func writeAtomically(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// A file rewritten with the same bytes is not decoded again, although the directory watcher reports it; changed
// bytes are; a file that goes takes its groups along.
func TestFileSDDecodesOnlyChangedFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	writeAtomically(t, path, `[{"targets":["x:1"],"labels":{"l":"1"}},{"targets":["y:1"]}]`)
	d := newFileDiscoverer(&file.SDConfig{Files: []string{filepath.Join(dir, "*.json")}, RefreshInterval: model.Duration(time.Hour)},
		slog.New(slog.DiscardHandler), make(chan struct{}, 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := make(chan []*targetgroup.Group)
	go d.Run(ctx, up)

	first := recvUpdate(up, 5*time.Second)
	if len(first) != 2 || first[0].Source != path+":0" || first[0].Labels["__meta_filepath"] != model.LabelValue(path) || first[0].Labels["l"] != "1" {
		t.Fatalf("first update = %v", first)
	}
	// The proof the update was applied, then the end of the first refresh: the directory is watched from here on.
	for range 2 {
		if tgs := <-up; len(tgs) != 0 {
			t.Fatalf("want empty updates after the first, got %v", tgs)
		}
	}
	// Same bytes, new inode: the watcher fires, nothing is sent.
	writeAtomically(t, path, `[{"targets":["x:1"],"labels":{"l":"1"}},{"targets":["y:1"]}]`)
	if got := recvUpdate(up, 700*time.Millisecond); got != nil {
		t.Fatalf("unchanged file decoded and sent again: %v", got)
	}
	// Changed bytes, one group fewer: the file's groups, then an empty group for the vanished index.
	writeAtomically(t, path, `[{"targets":["z:1"]}]`)
	if got := recvUpdate(up, 5*time.Second); len(got) != 1 || got[0].Targets[0]["__address__"] != "z:1" {
		t.Fatalf("changed file: %v", got)
	}
	if got := recvUpdate(up, 5*time.Second); len(got) != 1 || got[0].Source != path+":1" || len(got[0].Targets) != 0 {
		t.Fatalf("vanished group: %v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := recvUpdate(up, 5*time.Second); len(got) != 1 || got[0].Source != path+":0" || len(got[0].Targets) != 0 {
		t.Fatalf("removed file: %v", got)
	}
}

// FuzzDecodeFile: file SD content is written by whoever manages the files; decoding must never panic, and what it
// accepts carries the Sources and file label Prometheus gives it.
func FuzzDecodeFile(f *testing.F) {
	for _, seed := range []string{
		`[{"targets":["x:1"],"labels":{"a":"b"}}]`,
		`[null]`,
		`[{"targets":[],"labels":null}]`,
		`{"targets":["x:1"]}`,
		`[{"targets":["x:1"],"labels":{"in valid":"b"}}]`,
		"- targets: ['x:1']\n  labels: {a: b}\n",
		"- targets: ['x:1']\n  unknown: 1\n",
	} {
		f.Add(seed, strings.HasPrefix(seed, "-"))
	}
	f.Fuzz(func(t *testing.T, content string, yamlFile bool) {
		name := "/sd/f.json"
		if yamlFile {
			name = "/sd/f.yaml"
		}
		tgs, err := decodeFile(name, []byte(content))
		if err != nil {
			return
		}
		for i, tg := range tgs {
			if tg.Source != fileSource(name, i) || tg.Labels[fileSDFilepathLabel] != model.LabelValue(name) {
				t.Fatalf("group %d: Source %q, labels %v", i, tg.Source, tg.Labels)
			}
		}
	})
}

// FuzzDecodeChangedEqualsFullDecode is the property that lets file SD decode only the groups whose bytes changed:
// a file read as a, then as b, gives after applying both updates (and removing the groups past b's end, as the
// discoverer does) exactly the groups a full decode of b gives, and fails exactly when that fails. It covers both
// shortcuts, the array split and the fast group decoder, against Prometheus' decoding.
func FuzzDecodeChangedEqualsFullDecode(f *testing.F) {
	g := func(addr, labels string) string { return `{"targets":["` + addr + `"],"labels":{` + labels + `}}` }
	base := "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"x":"2"`) + "," + g("c:1", "") + "]"
	for _, seed := range [][2]string{
		{base, base},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:2", `"x":"2"`) + "," + g("c:1", "") + "]"},
		{base, "[" + g("a:1", `"x":"1"`) + "]"},
		{base, "[" + g("z:1", "") + "," + g("a:1", `"x":"1"`) + "," + g("b:1", `"x":"2"`) + "," + g("c:1", "") + "]"},
		{base, " [\n" + g("a:1", `"x":"1"`) + " ,\t" + g("b:1", `"x":"2"`) + "," + g("c:1", "") + "]\n"},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"x":"2"`) + "," + g("c:1", "") + "] x"},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"x":"2"`) + ",null]"},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"in valid":"2"`) + "]"},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"":"2"`) + "]"},
		{base, "[" + g("a:1", `"x":"1"`) + "," + g("b:1", `"x":"2","x":"3"`) + "]"},
		{base, `[{"targets":["a:1"],"labels":null},{"labels":{"x":"]}\"{["},"targets":["b:1","b:2"]}]`},
		{base, `[{"targets":["a\u003a1"],"labels":{"x":"\u00e9\n"}},{"Targets":["b:1"]}]`},
		{base, `[{"targets":["a:1"],"labels":{"x":"é"}},{"targets":["b:1"],"extra":1}]`},
		{base, "[{\"targets\":[\"a:1\"],\"labels\":{\"x\":\"\xff\"}}]"},
		{base, `[{"targets":["a:1"]},{"targets":["b:1"]}`},
		{base, `[{"targets":["a:1"]},]`},
		{base, `[]`},
		{base, `null`},
		{base, `[1, "x", true]`},
		{base, `[{"targets":[]}, {}, {"targets":null}]`},
		{base, `[{"targets":["a:1"],"targets":["b:1"]}]`},
		{`[{"targets":["a:1"]}]`, "- targets: ['x:1']\n"},
	} {
		f.Add(seed[0], seed[1])
	}
	const name = "/sd/f.json"
	norm := func(tgs []*targetgroup.Group) map[string]*targetgroup.Group {
		m := map[string]*targetgroup.Group{}
		for _, tg := range tgs {
			if len(tg.Targets) == 0 {
				tg.Targets = nil
			}
			m[tg.Source] = tg
		}
		return m
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		fullA, errA := decodeFile(name, []byte(a))
		tgsA, nA, elemsA, err := decodeChanged(name, []byte(a), nil)
		if (err == nil) != (errA == nil) {
			t.Fatalf("first read: error %v, full decode's %v", err, errA)
		}
		if err != nil {
			return
		}
		if nA != len(fullA) || !reflect.DeepEqual(norm(tgsA), norm(fullA)) {
			t.Fatalf("first read: %d groups %v, full decode %v", nA, tgsA, fullA)
		}
		fullB, errB := decodeFile(name, []byte(b))
		tgsB, nB, _, err := decodeChanged(name, []byte(b), elemsA)
		if (err == nil) != (errB == nil) {
			t.Fatalf("second read: error %v, full decode's %v", err, errB)
		}
		if err != nil {
			return
		}
		state := norm(tgsA)
		for src, tg := range norm(tgsB) {
			state[src] = tg
		}
		for i := nB; i < nA; i++ {
			delete(state, fileSource(name, i))
		}
		if want := norm(fullB); nB != len(fullB) || !reflect.DeepEqual(state, want) {
			t.Fatalf("after the second read: %d groups\n%v\nfull decode:\n%v", nB, state, want)
		}
	})
}

// A change in one file reads that file only, not every file of the provider; a rewrite in place that keeps the
// size and modification time (so a stat cannot tell) is still read, because the watch event names the file.
func TestFileSDReadsOnlyTheFilesEventsName(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeAtomically(t, a, `[{"targets":["a:1"]}]`)
	writeAtomically(t, b, `[{"targets":["b:1"]}]`)
	d := newFileDiscoverer(&file.SDConfig{Files: []string{filepath.Join(dir, "*.json")}, RefreshInterval: model.Duration(time.Hour)},
		slog.New(slog.DiscardHandler), make(chan struct{}, 1))
	var mu sync.Mutex
	reads := map[string]int{}
	d.readFile = func(name string) ([]byte, error) {
		mu.Lock()
		reads[filepath.Base(name)]++
		mu.Unlock()
		return os.ReadFile(name)
	}
	readCounts := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(reads)
	}
	up := runFirstLoad(t, d, 2)
	writeAtomically(t, a, `[{"targets":["a:2"]}]`)
	if got := recvUpdate(up, 5*time.Second); len(got) != 1 || got[0].Targets[0]["__address__"] != "a:2" {
		t.Fatalf("changed file: %v", got)
	}
	time.Sleep(200 * time.Millisecond) // let the refresh finish
	if r := readCounts(); r["a.json"] < 2 || r["b.json"] != 1 {
		t.Fatalf("reads after a change in a.json: %v, want b.json read once (at the start)", r)
	}

	info, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(`[{"targets":["b:9"]}]`), 0o644); err != nil { // same size, same inode
		t.Fatal(err)
	}
	if err := os.Chtimes(b, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if now, err := os.Stat(b); err != nil || !sameStat(info, now) {
		t.Fatalf("the rewrite changed the stat (%v), so it tests nothing", err)
	}
	if got := recvUpdate(up, 5*time.Second); len(got) != 1 || got[0].Targets[0]["__address__"] != "b:9" {
		t.Fatalf("rewrite in place with the same stat: %v", got)
	}
}

// runFirstLoad runs d until the test ends, takes its first load of files one-group updates, and waits until the
// first refresh ended (nothing more comes), after which the directory is watched.
func runFirstLoad(t *testing.T, d *fileDiscoverer, files int) <-chan []*targetgroup.Group {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	up := make(chan []*targetgroup.Group)
	go d.Run(ctx, up)
	for range files {
		if got := recvUpdate(up, 5*time.Second); len(got) != 1 {
			t.Fatalf("first load: %v", got)
		}
	}
	for recvUpdateOrEmpty(up, 300*time.Millisecond) != nil {
	}
	return up
}

// recvUpdateOrEmpty returns the next update, empty or not, or nil when none comes within d.
func recvUpdateOrEmpty(up <-chan []*targetgroup.Group, d time.Duration) []*targetgroup.Group {
	select {
	case tgs := <-up:
		if tgs == nil {
			return []*targetgroup.Group{}
		}
		return tgs
	case <-time.After(d):
		return nil
	}
}

// A file reached under two names (a hard link here; a symbolic link resolves the same way) and rewritten in place
// through one of them with its stat kept is read under both, though the event names only one.
func TestFileSDReadsLinksOfANamedFile(t *testing.T) {
	dir := t.TempDir()
	a, link := filepath.Join(dir, "a.json"), filepath.Join(dir, "link.json")
	writeAtomically(t, a, `[{"targets":["a:1"]}]`)
	if err := os.Link(a, link); err != nil {
		t.Skip("no hard links here:", err)
	}
	d := newFileDiscoverer(&file.SDConfig{Files: []string{filepath.Join(dir, "*.json")}, RefreshInterval: model.Duration(time.Hour)},
		slog.New(slog.DiscardHandler), make(chan struct{}, 1))
	up := runFirstLoad(t, d, 2)
	info, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a, []byte(`[{"targets":["a:9"]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(a, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for len(sources) < 2 {
		got := recvUpdate(up, 5*time.Second)
		if len(got) != 1 || got[0].Targets[0]["__address__"] != "a:9" {
			t.Fatalf("after the rewrite, got %v; updated so far %v", got, sources)
		}
		sources[got[0].Source] = true
	}
	if !sources[a+":0"] || !sources[link+":0"] {
		t.Fatalf("updated %v, want both names", sources)
	}
}
