package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"go.yaml.in/yaml/v2"
)

// fileSDFilepathLabel is the label file SD puts on every group; it must match Prometheus' discovery/file.
const fileSDFilepathLabel = model.MetaLabelPrefix + "filepath"

// fileDiscoverer is file SD as Prometheus' discovery/file does it (same files, Sources, labels, watching and
// refresh interval, same decoding and errors), with two differences that matter at a million targets:
//   - A file is decoded only when its bytes changed. Prometheus' file SD re-decodes every file of a provider on
//     every refresh and on any event in a watched directory (a change in one file wakes every provider watching
//     that directory); decoding is where almost all of its CPU and allocation goes. A file whose size,
//     modification time and inode are those of its last read is not even read, unless a watch event names it
//     (a rewrite in place within the clock's resolution keeps all three) or events were lost.
//   - Decoded groups are bounded: a provider holds the shared gate from decoding a file until Discovery applied
//     the groups (proved by a second, empty send, which the forwarder takes only after applying the first), so
//     at most one file's label maps are alive at a time across all file SD providers.
//
// Prometheus' file SD metrics (prometheus_sd_file_*) are not updated by it.
type fileDiscoverer struct {
	paths    []string
	interval time.Duration
	logger   *slog.Logger
	gate     chan struct{}
	// files are the files of the last refresh: what was read and how many groups they had.
	files map[string]fileState
	// readFile reads a file: os.ReadFile, or a counting one in tests.
	readFile func(string) ([]byte, error)
}

type fileState struct {
	info   os.FileInfo
	hash   uint64
	groups int
	// elems are the hashes of each group's raw bytes when the file was split (JSON), nil otherwise: a group
	// whose bytes are unchanged at the same index is neither decoded nor sent again.
	elems []uint64
}

func newFileDiscoverer(cfg *file.SDConfig, logger *slog.Logger, gate chan struct{}) *fileDiscoverer {
	return &fileDiscoverer{
		paths:    cfg.Files,
		interval: time.Duration(cfg.RefreshInterval),
		logger:   logger,
		gate:     gate,
		files:    map[string]fileState{},
		readFile: os.ReadFile,
	}
}

// Run implements discovery.Discoverer.
func (d *fileDiscoverer) Run(ctx context.Context, up chan<- []*targetgroup.Group) {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		d.logger.Error("Error adding file watcher", "err", err)
		return
	}
	defer watcher.Close()
	// The first refresh always reports, even with no file yet, so that readiness does not wait for it.
	if !d.refresh(ctx, up, watcher, readAll) || !send(ctx, up, []*targetgroup.Group{}) {
		return
	}
	interval := d.interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-watcher.Events:
			if !isChange(ev) {
				continue
			}
			// One refresh covers every file of this provider, so the events already queued (a rename is several:
			// the temporary file's create, write and rename, the target's create) are folded into it. It reads
			// the files the events name, and of the others those whose stat changed: at a million targets in
			// ten files, reading all of them for a change in one was a gigabyte read and hashed per change.
			named := map[string]bool{filepath.Clean(ev.Name): true}
			drainEvents(watcher.Events, named)
			if !d.refresh(ctx, up, watcher, namedOrSameFile(named)) {
				return
			}
		case <-ticker.C:
			if !d.refresh(ctx, up, watcher, readNone) {
				return
			}
		case err := <-watcher.Errors:
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost, so which files changed is unknown: read them all.
				d.logger.Warn("File watch events were lost; reading every file", "err", err)
				if !d.refresh(ctx, up, watcher, readAll) {
					return
				}
				continue
			}
			if err != nil {
				d.logger.Error("Error watching file", "err", err)
			}
		}
	}
}

// namedOrSameFile chooses the files named by events, and those that are the same file under another name (a
// symbolic or hard link in a watched directory), whose stat an edit in place through the named one can leave
// unchanged.
func namedOrSameFile(named map[string]bool) func(string, os.FileInfo) bool {
	var infos []os.FileInfo
	for name := range named {
		if info, err := os.Stat(name); err == nil {
			infos = append(infos, info)
		}
	}
	return func(name string, info os.FileInfo) bool {
		if named[filepath.Clean(name)] {
			return true
		}
		for _, n := range infos {
			if os.SameFile(info, n) {
				return true
			}
		}
		return false
	}
}

// isChange reports whether ev may carry a change: events without a name or with only chmod do not (Prometheus
// ignores them too).
func isChange(ev fsnotify.Event) bool { return ev.Name != "" && ev.Op^fsnotify.Chmod != 0 }

// readAll and readNone are refresh's two fixed choices of files to read whatever their stat.
func readAll(string, os.FileInfo) bool  { return true }
func readNone(string, os.FileInfo) bool { return false }

// refresh sends the groups of every file whose content changed, and empty groups for Sources that vanished. A
// file is read when read(name, its stat) says so, when it is new, or when its size, modification time or inode differ from
// its last read; otherwise it is taken as unchanged. A read file whose bytes hash as before is not decoded. It
// returns false when ctx ended.
func (d *fileDiscoverer) refresh(ctx context.Context, up chan<- []*targetgroup.Group, w *fsnotify.Watcher, read func(name string, info os.FileInfo) bool) bool {
	seen := map[string]fileState{}
	for _, name := range d.list() {
		last, known := d.files[name]
		info, err := os.Stat(name)
		if err != nil {
			d.logger.Error("Error reading file", "path", name, "err", err)
			if known {
				seen[name] = last // keeps its targets, as Prometheus does on a read error
			}
			continue
		}
		if known && sameStat(last.info, info) && !read(name, info) {
			seen[name] = last
			continue
		}
		content, err := d.readFile(name)
		if err != nil {
			d.logger.Error("Error reading file", "path", name, "err", err)
			if known {
				seen[name] = last
			}
			continue
		}
		h := xxhash.Sum64(content)
		if known && last.hash == h {
			last.info = info
			seen[name] = last
			continue
		}
		select {
		case d.gate <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		var prev []uint64
		if known {
			prev = last.elems
		}
		tgs, n, elems, err := decodeChanged(name, content, prev)
		content = nil
		if err != nil {
			<-d.gate
			d.logger.Error("Error reading file", "path", name, "err", err)
			if known {
				seen[name] = last
			}
			continue
		}
		ok := true
		if len(tgs) > 0 {
			ok = send(ctx, up, tgs)
			tgs = nil
			// The empty send returns once the forwarder applied the groups and wants more: they are garbage now.
			ok = ok && send(ctx, up, []*targetgroup.Group{})
		}
		<-d.gate
		if !ok {
			return false
		}
		seen[name] = fileState{info: info, hash: h, groups: n, elems: elems}
		// Fewer groups than before: the rest vanish.
		if known && last.groups > n {
			if !send(ctx, up, emptyGroups(name, n, last.groups)) {
				return false
			}
		}
	}
	for name, last := range d.files {
		if _, ok := seen[name]; !ok && last.groups > 0 {
			if !send(ctx, up, emptyGroups(name, 0, last.groups)) {
				return false
			}
		}
	}
	d.files = seen
	d.watch(w)
	return true
}

// drainEvents takes the events queued on ch without waiting for more and adds the cleaned names of those that
// carry a change to named.
func drainEvents(ch <-chan fsnotify.Event, named map[string]bool) {
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if isChange(ev) {
				named[filepath.Clean(ev.Name)] = true
			}
		default:
			return
		}
	}
}

func sameStat(a, b os.FileInfo) bool {
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && os.SameFile(a, b)
}

func emptyGroups(name string, from, to int) []*targetgroup.Group {
	out := make([]*targetgroup.Group, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, &targetgroup.Group{Source: fileSource(name, i)})
	}
	return out
}

func send(ctx context.Context, up chan<- []*targetgroup.Group, tgs []*targetgroup.Group) bool {
	select {
	case up <- tgs:
		return true
	case <-ctx.Done():
		return false
	}
}

// list expands the configured patterns, as Prometheus does.
func (d *fileDiscoverer) list() []string {
	var out []string
	for _, p := range d.paths {
		files, err := filepath.Glob(p)
		if err != nil {
			d.logger.Error("Error expanding glob", "glob", p, "err", err)
			continue
		}
		out = append(out, files...)
	}
	return out
}

// watch watches the directory of every pattern; adding a watch again is harmless.
func (d *fileDiscoverer) watch(w *fsnotify.Watcher) {
	for _, p := range d.paths {
		dir, _ := filepath.Split(p)
		if dir == "" {
			dir = "./"
		}
		if err := w.Add(dir); err != nil {
			d.logger.Error("Error adding file watch", "path", dir, "err", err)
		}
	}
}

// decodeChanged decodes the groups of a file that differ from its last read, whose per-group hashes are prev
// (nil: none known), and returns them, the number of groups in the file and its per-group hashes (nil when
// the file could not be split: YAML, or JSON that only encoding/json can judge). The result applied over the
// last read's groups equals decodeFile's, and it fails exactly when decodeFile fails (the message may differ:
// a group is judged on its own bytes): a group whose bytes and index are unchanged decodes as before (its Source
// is the file and index), and every other group is decoded and validated before anything is returned.
func decodeChanged(name string, content []byte, prev []uint64) ([]*targetgroup.Group, int, []uint64, error) {
	var raw [][]byte
	split := false
	if strings.ToLower(filepath.Ext(name)) == ".json" {
		raw, split = splitJSONArray(content)
	}
	if !split {
		tgs, err := decodeFile(name, content)
		return tgs, len(tgs), nil, err
	}
	elems := make([]uint64, len(raw))
	var tgs []*targetgroup.Group
	dec := newGroupDecoder()
	for i, b := range raw {
		elems[i] = xxhash.Sum64(b)
		if i < len(prev) && prev[i] == elems[i] {
			continue
		}
		tg, err := dec.decode(b)
		if err != nil {
			return nil, 0, nil, err
		}
		setSource(tg, name, i)
		tgs = append(tgs, tg)
	}
	return tgs, len(raw), elems, nil
}

// decodeFile decodes a file SD file as Prometheus does: JSON or YAML by extension, each group's Source its file
// and index, and the file's path as __meta_filepath.
func decodeFile(name string, content []byte) ([]*targetgroup.Group, error) {
	var tgs []*targetgroup.Group
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".json":
		if err := json.Unmarshal(content, &tgs); err != nil {
			return nil, err
		}
	case ".yml", ".yaml":
		if err := yaml.UnmarshalStrict(content, &tgs); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unhandled file extension %q", ext)
	}
	for i, tg := range tgs {
		if tg == nil {
			return nil, errors.New("nil target group item found")
		}
		setSource(tg, name, i)
	}
	return tgs, nil
}

// setSource gives a decoded group its Source and __meta_filepath, as Prometheus' file SD does.
func setSource(tg *targetgroup.Group, name string, i int) {
	tg.Source = fileSource(name, i)
	if tg.Labels == nil {
		tg.Labels = model.LabelSet{}
	}
	tg.Labels[fileSDFilepathLabel] = model.LabelValue(name)
}

func fileSource(name string, i int) string { return fmt.Sprintf("%s:%d", name, i) }
