package fileaccess

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
)

// Reference is one file that a scrape config names.
type Reference struct {
	// Job is the scrape config's job_name.
	Job string
	// Field is the YAML path of the field inside the scrape config, e.g.
	// "kubernetes_sd_configs[0].authorization.credentials_file" or "http_headers.X-Token.files[1]".
	Field string
	// Path is the file named.
	Path string
	// ServiceDiscovery is true when the field belongs to a service discovery config, whose files the target
	// allocator opens; otherwise the scraping collector opens it.
	ServiceDiscovery bool
}

func (r Reference) String() string {
	return fmt.Sprintf("job %q: %s names the file %q", r.Job, r.Field, r.Path)
}

// Find returns every file sc names, in field order (scrape settings first, then service discovery configs in the
// order Prometheus encodes them). A nil sc names none.
func Find(sc *promconfig.ScrapeConfig) []Reference {
	if sc == nil {
		return nil
	}
	w := walker{job: sc.JobName}
	w.walk(reflect.ValueOf(sc).Elem(), "", 0)
	w.sd = true
	index := map[string]int{}
	for _, c := range sc.ServiceDiscoveryConfigs {
		if c == nil {
			continue
		}
		key := sdKey(c)
		w.walk(reflect.ValueOf(c), key+"["+strconv.Itoa(index[key])+"]", 0)
		index[key]++
	}
	return w.refs
}

// Error refuses a scrape config that names files. Its message names the job and every field.
type Error struct {
	References []Reference
}

func (e *Error) Error() string {
	if len(e.References) == 0 {
		return "no file references"
	}
	fields := make([]string, len(e.References))
	for i, r := range e.References {
		reader := "the collector"
		if r.ServiceDiscovery {
			reader = "the target allocator"
		}
		fields[i] = fmt.Sprintf("%s (%q, opened by %s)", r.Field, r.Path, reader)
	}
	return fmt.Sprintf("job %q names files of the pod, which its author may not choose: %s", e.References[0].Job,
		strings.Join(fields, ", "))
}

// Check returns an *Error listing every file sc names, or nil if it names none.
func Check(sc *promconfig.ScrapeConfig) error {
	if refs := Find(sc); len(refs) > 0 {
		return &Error{References: refs}
	}
	return nil
}

// sdKey is the YAML key under which Prometheus writes c: "<name>_sd_configs", or "static_configs".
func sdKey(c discovery.Config) string {
	if _, ok := c.(discovery.StaticConfig); ok {
		return "static_configs"
	}
	return c.Name() + "_sd_configs"
}

// maxDepth bounds the walk. Scrape configs are trees a few levels deep; the bound only guards against a type
// that one day points back at itself.
const maxDepth = 32

type walker struct {
	job  string
	sd   bool
	refs []Reference
}

func (w *walker) walk(v reflect.Value, path string, depth int) {
	if depth > maxDepth {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), path, depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, inline, skip := yamlKey(f)
			if skip {
				continue // ServiceDiscoveryConfigs (walked by Find) and fields Prometheus never reads from YAML
			}
			fv := v.Field(i)
			if inline {
				w.walk(fv, path, depth+1)
				continue
			}
			p := join(path, name)
			if namesFile(name) {
				w.files(fv, p)
				continue
			}
			w.walk(fv, p, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.walk(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			w.walk(v.MapIndex(k), join(path, fmt.Sprint(k)), depth+1)
		}
	}
}

// files records the file names held by a field whose key names files: a string or a list of strings.
func (w *walker) files(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" {
			w.refs = append(w.refs, Reference{Job: w.job, Field: path, Path: s, ServiceDiscovery: w.sd})
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.files(v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.files(v.Elem(), path)
		}
	}
}

// notFiles are keys that match the naming rule but name no file.
var notFiles = map[string]bool{
	"metrics_path": true, // the HTTP path scraped
}

// namesFile reports whether a YAML key holds file names, by Prometheus' naming convention.
func namesFile(key string) bool {
	if notFiles[key] {
		return false
	}
	return key == "files" || strings.HasSuffix(key, "_file") || strings.HasSuffix(key, "_files") ||
		strings.HasSuffix(key, "_path")
}

// yamlKey returns the YAML key of a struct field; fields without a yaml tag use the lower-cased Go name, which is
// what the YAML library does.
func yamlKey(f reflect.StructField) (name string, inline, skip bool) {
	tag, ok := f.Tag.Lookup("yaml")
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if !ok || name == "" {
		name = strings.ToLower(f.Name)
	}
	for _, o := range strings.Split(opts, ",") {
		if o == "inline" {
			return name, true, false
		}
	}
	return name, false, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
