package taconfig

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	commonconfig "github.com/prometheus/common/config"
	promconfig "github.com/prometheus/prometheus/config"
)

// ScrapeConfigsJSON encodes scrape configs as the TA serves them on /scrape_configs: {"<job>": <scrape config>}, in
// the shape their YAML has. Secrets are "<secret>" unless revealSecrets, for the mTLS listener or
// allow_insecure_auth_secrets.
//
// prometheus/common marshals secrets in clear only when its process-global MarshalSecretValue is true; flipping
// it per request races with every other marshal in the process. So the conversion walks the values itself,
// following YAML marshalling (yaml tags, MarshalYAML methods) and deciding per Secret.
func ScrapeConfigsJSON(cfgs []*promconfig.ScrapeConfig, revealSecrets bool) ([]byte, error) {
	out := make(map[string]any, len(cfgs))
	for _, c := range cfgs {
		if c == nil {
			continue
		}
		v, err := toGeneric(reflect.ValueOf(c), revealSecrets, 0)
		if err != nil {
			return nil, fmt.Errorf("encoding scrape config %q: %w", c.JobName, err)
		}
		stripEqualRegex(v)
		out[c.JobName] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding scrape configs: %w", err)
	}
	return b, nil
}

type yamlMarshaler interface {
	MarshalYAML() (any, error)
}

var (
	secretType       = reflect.TypeFor[commonconfig.Secret]()
	urlType          = reflect.TypeFor[commonconfig.URL]()
	durationType     = reflect.TypeFor[time.Duration]()
	marshalerType    = reflect.TypeFor[yamlMarshaler]()
	textMarshalerTyp = reflect.TypeFor[encoding.TextMarshaler]()
)

const maxDepth = 100

// toGeneric converts v to maps, slices and scalars as YAML marshalling would see it.
func toGeneric(v reflect.Value, reveal bool, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d levels", maxDepth)
	}
	if !v.IsValid() {
		return nil, nil
	}
	switch v.Type() {
	case secretType:
		switch s := v.String(); {
		case s == "":
			return nil, nil
		case reveal:
			return s, nil
		default:
			return "<secret>", nil
		}
	case urlType:
		u := v.Interface().(commonconfig.URL)
		switch {
		case u.URL == nil:
			return nil, nil
		case reveal:
			return u.String(), nil
		default:
			return u.Redacted(), nil
		}
	case durationType:
		return time.Duration(v.Int()).String(), nil
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return nil, nil
	}
	if v.Type().Implements(marshalerType) && v.CanInterface() {
		m, err := v.Interface().(yamlMarshaler).MarshalYAML()
		if err != nil {
			return nil, err
		}
		return toGeneric(reflect.ValueOf(m), reveal, depth+1)
	}
	if v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(marshalerType) {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		return toGeneric(p, reveal, depth+1)
	}
	if v.Type().Implements(textMarshalerTyp) && v.CanInterface() && v.Kind() != reflect.Pointer {
		t, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return nil, err
		}
		return string(t), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return toGeneric(v.Elem(), reveal, depth+1)
	case reflect.Struct:
		m := map[string]any{}
		if err := structFields(v, m, reveal, depth); err != nil {
			return nil, err
		}
		return m, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			val, err := toGeneric(it.Value(), reveal, depth+1)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(it.Key().Interface())] = val
		}
		return m, nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		l := make([]any, v.Len())
		for i := range l {
			e, err := toGeneric(v.Index(i), reveal, depth+1)
			if err != nil {
				return nil, err
			}
			l[i] = e
		}
		return l, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("cannot encode a %s", v.Type())
}

// structFields adds a struct's fields to m, following yaml tags: renamed keys, omitempty, inline and "-".
func structFields(v reflect.Value, m map[string]any, reveal bool, depth int) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if strings.Contains(","+opts+",", ",inline,") {
			inner := fv
			for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Interface {
				if inner.IsNil() {
					break
				}
				inner = inner.Elem()
			}
			g, err := toGeneric(inner, reveal, depth+1)
			if err != nil {
				return err
			}
			if gm, ok := g.(map[string]any); ok {
				for k, x := range gm {
					m[k] = x
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if strings.Contains(","+opts+",", ",omitempty,") && isZero(fv) {
			continue
		}
		g, err := toGeneric(fv, reveal, depth+1)
		if err != nil {
			return err
		}
		m[name] = g
	}
	return nil
}

// isZero follows yaml's omitempty: empty collections count as zero, and IsZero methods are honoured.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		return z.IsZero()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String, reflect.Array:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !isZero(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}

// stripEqualRegex removes "regex" from keepequal and dropequal rules. Marshalling writes the default regex, and
// Prometheus versions affected by prometheus/prometheus#12534, which collectors may embed, reject such a rule when
// reading it back, and with it the whole configuration. (v0.316 reads it back fine; the regex is the default
// anyway, so leaving it out changes nothing for newer readers.)
func stripEqualRegex(job any) {
	m, ok := job.(map[string]any)
	if !ok {
		return
	}
	for _, key := range []string{"relabel_configs", "metric_relabel_configs"} {
		rules, _ := m[key].([]any)
		for _, r := range rules {
			rule, ok := r.(map[string]any)
			if !ok {
				continue
			}
			switch rule["action"] {
			case "keepequal", "dropequal":
				delete(rule, "regex")
			}
		}
	}
}
