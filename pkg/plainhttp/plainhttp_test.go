package plainhttp_test

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	commonconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/aws"
	"github.com/prometheus/prometheus/discovery/azure"
	"github.com/prometheus/prometheus/discovery/consul"
	"github.com/prometheus/prometheus/discovery/http"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/openstack"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/plainhttp"
	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// secretMark is planted in fields whose value may come from a Secret (or names nothing public); it must never
// reach the plain body. servable holds the fields that plain HTTP may carry: file names (read by the collector
// from its own files), and settings that are no credential.
const secretMark = "SECRETMARK"

var servable = map[string]bool{
	"bearer_token_file":              true,
	"basic_auth.username_file":       true,
	"basic_auth.password_file":       true,
	"authorization.type":             true,
	"authorization.credentials_file": true,
	"tls_config.ca_file":             true,
	"tls_config.cert_file":           true,
	"tls_config.key_file":            true,
	"tls_config.server_name":         true,
	"no_proxy":                       true,
	"proxy_url.host":                 true,
	"http_headers.X-Marker.values":   true,
	"http_headers.X-Marker.files":    true,
}

// plainBody is what the TA serves on plain HTTP for sc.
func plainBody(t testing.TB, sc *promconfig.ScrapeConfig) []byte {
	t.Helper()
	r := plainhttp.ScrapeConfig(sc)
	var served []*promconfig.ScrapeConfig
	if r.Config != nil {
		served = append(served, r.Config)
	}
	b, err := taconfig.ScrapeConfigsJSON(served, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The table: one case per settable field of prometheus/common's HTTP client config, found by reflection so that
// a field added upstream is a new case. Each case sets only that field.
func TestEveryHTTPClientConfigField(t *testing.T) {
	fields := leaves(reflect.TypeFor[commonconfig.HTTPClientConfig](), "")
	if len(fields) < 40 {
		t.Fatalf("found only %d fields in HTTPClientConfig: the walk is broken", len(fields))
	}
	for _, field := range fields {
		t.Run(field, func(t *testing.T) {
			h := reflect.New(reflect.TypeFor[commonconfig.HTTPClientConfig]()).Elem()
			plant(h, "", map[string]bool{field: true})
			sc := &promconfig.ScrapeConfig{JobName: "job", HTTPClientConfig: h.Interface().(commonconfig.HTTPClientConfig)}
			original := fmt.Sprintf("%+v", *sc)
			body := plainBody(t, sc)
			if bytes.Contains(body, []byte("<secret>")) {
				t.Errorf("plain body holds a placeholder: %s", body)
			}
			leaked := bytes.Contains(body, []byte(secretMark))
			if leaked && !servable[field] {
				t.Errorf("plain body carries %s: %s", field, body)
			}
			if !leaked && servable[field] && !bytes.Contains(body, []byte("job")) {
				t.Errorf("a job with only %s set (no credential) was left out", field)
			}
			if fmt.Sprintf("%+v", *sc) != original {
				t.Error("the input config was modified")
			}
			secured, err := taconfig.ScrapeConfigsJSON([]*promconfig.ScrapeConfig{sc}, true)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(secured, []byte(secretMark)) {
				t.Errorf("the mTLS body lost %s: %s", field, secured)
			}
		})
	}
}

// The property: random scrape configs with marker values in random fields of the scrape's HTTP client config and
// of service discovery configs (each with its own HTTP client and credentials) never show a marker in the plain
// body. The seeds run in every test run; `go test -fuzz FuzzPlainBody ./pkg/plainhttp` explores further.
func FuzzPlainBody(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte("basic_auth and oauth2 and tls and proxy"))
	f.Add([]byte{0x55, 0xaa, 0x0f, 0xf0, 0x33, 0xcc, 0x99, 0x66, 0x11, 0x88})
	f.Fuzz(func(t *testing.T, choice []byte) {
		sc := randomConfig(choice)
		body := plainBody(t, sc)
		if bytes.Contains(body, []byte(secretMark)) || bytes.Contains(body, []byte("<secret>")) {
			t.Errorf("plain body carries a credential or placeholder: %s", body)
		}
	})
}

// randomConfig sets the fields of a scrape config and of a few SD configs that choice selects (bit i of choice
// selects field i, cycling), with the marker; of the scrape's own HTTP client config only the fields that are not
// servable are picked.
func randomConfig(choice []byte) *promconfig.ScrapeConfig {
	bit := 0
	pick := func(fields []string) map[string]bool {
		picked := map[string]bool{}
		for _, f := range fields {
			if len(choice) > 0 && choice[(bit/8)%len(choice)]&(1<<(bit%8)) != 0 {
				picked[f] = true
			}
			bit++
		}
		return picked
	}
	h := reflect.New(reflect.TypeFor[commonconfig.HTTPClientConfig]()).Elem()
	var fields []string
	for _, f := range leaves(h.Type(), "") {
		if !servable[f] {
			fields = append(fields, f)
		}
	}
	plant(h, "", pick(fields))
	sc := &promconfig.ScrapeConfig{
		JobName:          "job",
		HTTPClientConfig: h.Interface().(commonconfig.HTTPClientConfig),
		ServiceDiscoveryConfigs: discovery.Configs{
			discovery.StaticConfig{{Targets: []model.LabelSet{{model.AddressLabel: "a:1"}}, Source: "0"}},
		},
	}
	for _, sd := range []discovery.Config{&kubernetes.SDConfig{}, &http.SDConfig{}, &consul.SDConfig{},
		&aws.EC2SDConfig{}, &azure.SDConfig{}, &openstack.SDConfig{}} {
		v := reflect.ValueOf(sd).Elem()
		plantAll(v, "", pick(leaves(v.Type(), "")))
		sc.ServiceDiscoveryConfigs = append(sc.ServiceDiscoveryConfigs, sd)
	}
	return sc
}

var (
	urlType     = reflect.TypeFor[commonconfig.URL]()
	headersType = reflect.TypeFor[map[string]commonconfig.Header]()
	stdURLType  = reflect.TypeFor[url.URL]()
	groupType   = reflect.TypeFor[targetgroup.Group]()
)

// leaves lists the YAML paths of the string-like fields under t: strings (Secret included), lists of them, maps
// of them, proxy_url's parts, and the http_headers map (under the header name X-Marker).
func leaves(t reflect.Type, path string) []string {
	switch {
	case t == urlType:
		return []string{join(path, "user"), join(path, "password"), join(path, "host")}
	case t == headersType:
		var out []string
		for _, l := range leaves(reflect.TypeFor[commonconfig.Header](), "") {
			out = append(out, join(path, "X-Marker."+l))
		}
		return out
	case t == stdURLType || t == groupType:
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return leaves(t.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, inline := key(f)
			if name == "-" {
				continue
			}
			if inline {
				out = append(out, leaves(f.Type, path)...)
			} else {
				out = append(out, leaves(f.Type, join(path, name))...)
			}
		}
		return out
	case reflect.String:
		return []string{path}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return []string{path}
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return []string{path}
		}
	}
	return nil
}

// plant sets the fields of v (a settable value) whose paths are in picked: credentials to the marker, servable
// fields too (their leak is allowed), allocating pointers on the way.
func plant(v reflect.Value, path string, picked map[string]bool) { set(v, path, picked, false) }

// plantAll is plant where every picked field gets the marker, servable or not: for SD configs, which plain HTTP
// never serves.
func plantAll(v reflect.Value, path string, picked map[string]bool) { set(v, path, picked, true) }

func set(v reflect.Value, path string, picked map[string]bool, all bool) bool {
	t := v.Type()
	switch {
	case t == urlType:
		u := &url.URL{Scheme: "http", Host: "proxy:3128"}
		user, pass, host := picked[join(path, "user")], picked[join(path, "password")], picked[join(path, "host")]
		if host {
			u.Host = secretMark + "host:3128"
		}
		switch {
		case user && pass:
			u.User = url.UserPassword(secretMark+"u", secretMark+"p")
		case user:
			u.User = url.User(secretMark + "u")
		case pass:
			u.User = url.UserPassword("", secretMark+"p")
		}
		if user || pass || host {
			v.Set(reflect.ValueOf(commonconfig.URL{URL: u}))
			return true
		}
		return false
	case t == headersType:
		h := reflect.New(reflect.TypeFor[commonconfig.Header]()).Elem()
		if set(h, join(path, "X-Marker"), picked, all) {
			v.Set(reflect.ValueOf(map[string]commonconfig.Header{"X-Marker": h.Interface().(commonconfig.Header)}))
			return true
		}
		return false
	case t == stdURLType || t == groupType:
		return false
	}
	switch t.Kind() {
	case reflect.Pointer:
		n := reflect.New(t.Elem())
		if set(n.Elem(), path, picked, all) {
			v.Set(n)
			return true
		}
	case reflect.Struct:
		any := false
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, inline := key(f)
			if name == "-" {
				continue
			}
			p := join(path, name)
			if inline {
				p = path
			}
			if set(v.Field(i), p, picked, all) {
				any = true
			}
		}
		return any
	case reflect.String, reflect.Slice, reflect.Map:
		if !picked[path] {
			return false
		}
		s := secretMark + strings.ReplaceAll(path, ".", "_")
		switch t.Kind() {
		case reflect.String:
			v.SetString(s)
		case reflect.Slice:
			if t.Elem().Kind() != reflect.String {
				return false
			}
			sl := reflect.MakeSlice(t, 1, 1)
			sl.Index(0).SetString(s)
			v.Set(sl)
		case reflect.Map:
			m := reflect.MakeMap(t)
			var e reflect.Value
			switch t.Elem().Kind() {
			case reflect.String, reflect.Interface:
				e = reflect.ValueOf(s).Convert(reflect.TypeFor[string]())
				if t.Elem().Kind() == reflect.String {
					e = e.Convert(t.Elem())
				}
			case reflect.Slice:
				e = reflect.MakeSlice(t.Elem(), 1, 1)
				e.Index(0).SetString(s)
			default:
				return false
			}
			m.SetMapIndex(reflect.ValueOf(secretMark+"key").Convert(t.Key()), e)
			v.Set(m)
		}
		return true
	}
	return false
}

func key(f reflect.StructField) (name string, inline bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, slices.Contains(strings.Split(opts, ","), "inline")
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// A job without credentials is served without its discovery configs (static_configs stay) and reports nothing
// withheld, so the withheld-jobs count means credentials only.
func TestDiscoveryLeftOutQuietly(t *testing.T) {
	sc := &promconfig.ScrapeConfig{JobName: "pods", ServiceDiscoveryConfigs: discovery.Configs{
		&kubernetes.SDConfig{Role: kubernetes.RolePod},
		discovery.StaticConfig{{Targets: []model.LabelSet{{model.AddressLabel: "a:1"}}, Source: "0"}},
	}}
	r := plainhttp.ScrapeConfig(sc)
	if r.Config == nil || len(r.Withheld) != 0 {
		t.Fatalf("result %+v, want the job served with nothing withheld", r)
	}
	if len(r.Config.ServiceDiscoveryConfigs) != 1 {
		t.Errorf("served discovery configs %v, want only static_configs", r.Config.ServiceDiscoveryConfigs)
	}
	if len(sc.ServiceDiscoveryConfigs) != 2 {
		t.Error("the input lost its discovery configs")
	}
}
