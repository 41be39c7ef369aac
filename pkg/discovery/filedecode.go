package discovery

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// A file SD JSON file is an array of target groups. At a million targets a file is about 90 MB, and decoding it
// with encoding/json (the array, then each group's own decoder, then its label set a third time, as Prometheus'
// types do) is slower than the ready timeout. Two shortcuts, both falling back to encoding/json whenever the input
// is not exactly what they handle, so that what they accept decodes as Prometheus would and everything else
// (errors included) is Prometheus' own decoding:
//   - splitJSONArray cuts the array into its elements' raw bytes without decoding them, so that a group whose
//     bytes did not change since the last read is not decoded at all;
//   - decodeGroupJSON decodes the usual shape of a group ({"targets": [...], "labels": {...}} with plain strings)
//     directly into the target group.

// splitJSONArray returns the raw bytes of each element of a top-level JSON array. It returns false when content
// is not an array it can split with certainty (the caller then decodes the whole file with encoding/json, which
// also reports the error): elements are delimited by tracking strings and nesting only, so each element must be
// validated by decoding it; the separators and the end are checked here.
func splitJSONArray(content []byte) ([][]byte, bool) {
	i, empty, ok := openContainer(content, skipSpace(content, 0), '[', ']')
	if !ok {
		return nil, false
	}
	var elems [][]byte
	for closed := empty; !closed; {
		if i >= len(content) {
			return nil, false
		}
		end, ok := valueEnd(content, i)
		if !ok || end == i {
			return nil, false
		}
		elems = append(elems, content[i:end])
		if i, closed, ok = afterElem(content, end, ']'); !ok {
			return nil, false
		}
	}
	return elems, skipSpace(content, i) == len(content)
}

// openContainer reads the opening delimiter of a JSON array or object at i. It returns the position of the first
// element, or, when the container is empty (closed at once), the position after it and empty true; ok is false
// when b has no opening delimiter at i.
func openContainer(b []byte, i int, opening, closing byte) (int, bool, bool) {
	if i >= len(b) || b[i] != opening {
		return 0, false, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1, true, true
	}
	return i, false, true
}

// afterElem reads what follows an element of a JSON array or object ending at i: a comma (the position of the
// next element) or the closing delimiter (the position after it, and closed true). ok is false for anything else.
func afterElem(b []byte, i int, closing byte) (int, bool, bool) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, false, false
	}
	switch b[i] {
	case ',':
		return skipSpace(b, i+1), false, true
	case closing:
		return i + 1, true, true
	}
	return 0, false, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the end of the JSON value starting at i: for an object or array the position after its
// matching bracket (strings skipped), for a scalar the first separator or space.
func valueEnd(b []byte, i int) (int, bool) {
	if b[i] != '{' && b[i] != '[' {
		for j := i; j < len(b); j++ {
			switch b[j] {
			case ',', ']', '}', ' ', '\t', '\n', '\r', '"', '{', '[':
				return j, true
			}
		}
		return len(b), true
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			k, ok := stringEnd(b, j)
			if !ok {
				return 0, false
			}
			j = k - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// stringEnd returns the position after the closing quote of the string starting at i.
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// groupDecoder decodes target groups; it interns label names, which repeat in every group of a file.
type groupDecoder struct {
	names map[string]model.LabelName
}

func newGroupDecoder() *groupDecoder { return &groupDecoder{names: map[string]model.LabelName{}} }

// decode decodes one element of a file SD JSON array as json.Unmarshal into a *targetgroup.Group does.
func (d *groupDecoder) decode(elem []byte) (*targetgroup.Group, error) {
	if tg, ok := d.fast(elem); ok {
		return tg, nil
	}
	var tg *targetgroup.Group
	if err := json.Unmarshal(elem, &tg); err != nil {
		return nil, err
	}
	if tg == nil {
		return nil, errors.New("nil target group item found")
	}
	return tg, nil
}

// fast decodes {"targets": [string...], "labels": {string: string...}} (either key optional, each at most
// once, labels possibly null, strings without escapes and valid UTF-8, label names valid). Anything else returns
// false, and encoding/json decides. The result is what targetgroup.Group.UnmarshalJSON builds: one label set
// per target holding its address, and the group labels as decoded (nil when absent or null).
func (d *groupDecoder) fast(b []byte) (*targetgroup.Group, bool) {
	i, empty, ok := openContainer(b, skipSpace(b, 0), '{', '}')
	if !ok {
		return nil, false
	}
	tg := &targetgroup.Group{Targets: []model.LabelSet{}}
	var seenTargets, seenLabels bool
	for closed := empty; !closed; {
		key, after, ok := plainString(b, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(b, after)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		switch string(key) {
		case "targets":
			if seenTargets {
				return nil, false
			}
			seenTargets = true
			if i = d.targets(b, i, tg); i < 0 {
				return nil, false
			}
		case "labels":
			if seenLabels {
				return nil, false
			}
			seenLabels = true
			if i = d.labels(b, i, tg); i < 0 {
				return nil, false
			}
		default:
			return nil, false
		}
		if i, closed, ok = afterElem(b, i, '}'); !ok {
			return nil, false
		}
	}
	return tg, skipSpace(b, i) == len(b)
}

// targets decodes an array of plain strings at i into tg.Targets and returns the position after it, -1 when
// the fast path does not apply.
func (d *groupDecoder) targets(b []byte, i int, tg *targetgroup.Group) int {
	i, empty, ok := openContainer(b, i, '[', ']')
	if !ok {
		return -1
	}
	tg.Targets = []model.LabelSet{}
	for closed := empty; !closed; {
		s, after, ok := plainString(b, i)
		if !ok {
			return -1
		}
		tg.Targets = append(tg.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(s)})
		if i, closed, ok = afterElem(b, after, ']'); !ok {
			return -1
		}
	}
	return i
}

// labels decodes an object of plain strings (or null) at i into tg.Labels and returns the position after it, -1
// when the fast path does not apply.
func (d *groupDecoder) labels(b []byte, i int, tg *targetgroup.Group) int {
	if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
		return i + 4
	}
	i, empty, ok := openContainer(b, i, '{', '}')
	if !ok {
		return -1
	}
	ls := model.LabelSet{}
	for closed := empty; !closed; {
		k, after, ok := plainString(b, i)
		if !ok {
			return -1
		}
		i = skipSpace(b, after)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		v, after, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			return -1
		}
		name, ok := d.names[string(k)]
		if !ok {
			name = model.LabelName(k)
			if !name.IsValid() {
				return -1 // encoding/json reports it
			}
			d.names[string(name)] = name
		}
		// A repeated name: the last value wins, as in encoding/json's maps.
		ls[name] = model.LabelValue(v)
		if i, closed, ok = afterElem(b, after, '}'); !ok {
			return -1
		}
	}
	tg.Labels = ls
	return i
}

// plainString returns the content of the JSON string at i when it needs no decoding (no escape, no control
// character, valid UTF-8: encoding/json would replace invalid bytes), and the position after it.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			s := b[i+1 : j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, 0, false
}
