package configrewrite

import (
	"io"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/prometheus/prometheus/config"
	// Every service discovery mechanism registers its *_sd_configs key on import; without
	// them Prometheus would reject valid scrape configs as having unknown fields.
	_ "github.com/prometheus/prometheus/discovery/install"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-operator/otelcol-operator/pkg/fileaccess"
)

// validate asks Prometheus' own config parser about each receiver's global and each job, one
// at a time so that the message can name the job, on the TA's un-escaped copy (what both the
// collector's receiver and the TA end up parsing).
//
// Unless allowFiles, a job that names a file (credentials_file, bearer_token_file, tls_config's
// ca_file, kubeconfig_file, ...) is refused: the TA runs its service discovery with the TA's
// identity and files, so the CR's author could make the TA send its service-account token to
// an address of the author's choosing, or read files of the TA pod.
func validate(receivers []receiver, allowFiles bool) error {
	for _, r := range receivers {
		var global []*yaml.Node
		if r.global != nil {
			global = []*yaml.Node{scalar("global"), taCopy(r.global)}
			if _, err := loadPrometheus(mapping(global...)); err != nil {
				return errorf(KindInvalidScrapeConfig, "receiver %q: global is rejected by Prometheus: %w", r.name, err)
			}
		}
		for i := range r.jobs {
			j := &r.jobs[i]
			doc := mapping(append(global, scalar("scrape_configs"), sequence(taCopy(j.node)))...)
			cfg, err := loadPrometheus(doc)
			if err != nil {
				return errorf(KindInvalidScrapeConfig, "receiver %q: scrape config of job %q is rejected by Prometheus: %w", r.name, j.name, err)
			}
			if !allowFiles {
				if err := fileaccess.Check(cfg.ScrapeConfigs[0]); err != nil {
					return errorf(KindFileAccess, "receiver %q: %w; an administrator may allow file names in scrape configs with the operator flag --%s", r.name, err, AllowFileAccessFlag)
				}
			}
			// Kept for the TA file, where the job may end up under another receiver's global.
			j.interval = cfg.ScrapeConfigs[0].ScrapeInterval.String()
			j.timeout = cfg.ScrapeConfigs[0].ScrapeTimeout.String()
		}
	}
	return nil
}

// discardLogger keeps config.Load's warnings out of the operator's log; they would repeat
// on every reconcile.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// loadPrometheus writes doc, parses it with config.Load and, on error, replaces the line
// numbers of the written text in the message by the user's line numbers.
func loadPrometheus(doc *yaml.Node) (*config.Config, error) {
	text, err := encode(doc)
	if err != nil {
		return nil, err
	}
	cfg, loadErr := config.Load(text, discardLogger)
	if loadErr == nil {
		return cfg, nil
	}
	return nil, &userLinesError{msg: userLines(loadErr.Error(), text, doc), err: loadErr}
}

// userLinesError is a Prometheus error whose message talks about the user's lines.
type userLinesError struct {
	msg string
	err error
}

func (e *userLinesError) Error() string { return e.msg }
func (e *userLinesError) Unwrap() error { return e.err }

var lineRE = regexp.MustCompile(`line (\d+)`)

// userLines maps "line N" of the written text back to the user's config: the written text
// is parsed again, and its tree is walked beside doc, whose nodes still carry the user's
// line numbers (taCopy keeps them). Lines that map to nothing are dropped from the message
// rather than left pointing at a text the user never saw.
func userLines(msg, text string, doc *yaml.Node) string {
	var written yaml.Node
	if err := yaml.Unmarshal([]byte(text), &written); err != nil || len(written.Content) == 0 {
		return msg
	}
	lines := map[int]int{}
	pairLines(written.Content[0], doc, lines)
	return lineRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(m[len("line "):])
		if u, ok := lines[n]; ok && u > 0 {
			return "line " + strconv.Itoa(u)
		}
		return "line ?"
	})
}

func pairLines(w, u *yaml.Node, lines map[int]int) {
	if _, ok := lines[w.Line]; !ok && u.Line > 0 {
		lines[w.Line] = u.Line
	}
	if len(w.Content) != len(u.Content) {
		return
	}
	for i := range w.Content {
		pairLines(w.Content[i], u.Content[i], lines)
	}
}
