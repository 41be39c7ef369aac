package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// scenario feeds the TA its targets and knows exactly which addresses each job must serve.
type scenario interface {
	name() string
	// config is the TA config's scrape_configs section.
	config() string
	// want returns the addresses each job must serve.
	want() map[string]map[string]bool
	// replaceOne replaces one target by a new one, updates want, and returns the moment the change was made: just
	// before the write that completes it (the file's rename, the new pod's Ready status).
	replaceOne(ctx context.Context) (time.Time, error)
}

// fileScenario: N targets, one per group, with 17 __meta_kubernetes_* labels, in F files of one directory, one
// file_sd config per file, one job.
type fileScenario struct {
	dir     string
	o       options
	files   [][]fileGroup
	targets map[string]bool
}

type fileGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

const fileJob = "file-targets"

func newFileScenario(dir string, o options) (*fileScenario, error) {
	s := &fileScenario{dir: filepath.Join(dir, "sd"), o: o, files: make([][]fileGroup, o.files), targets: map[string]bool{}}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	for i := range o.targets {
		f := i % o.files
		g := podLikeGroup(i, "")
		s.files[f] = append(s.files[f], g)
		s.targets[g.Targets[0]] = true
	}
	var wg sync.WaitGroup
	errs := make([]error, o.files)
	for f := range o.files {
		wg.Go(func() { _, errs[f] = s.write(f) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func podLikeGroup(i int, suffix string) fileGroup {
	pod := "app-" + strconv.Itoa(i) + suffix
	ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
	port := "8080"
	if suffix != "" {
		port = "9090"
	}
	return fileGroup{
		Targets: []string{ip + ":" + port},
		Labels: map[string]string{
			"__meta_kubernetes_namespace":                   "default",
			"__meta_kubernetes_pod_name":                    pod,
			"__meta_kubernetes_pod_ip":                      ip,
			"__meta_kubernetes_pod_node_name":               "node-" + strconv.Itoa(i%500),
			"__meta_kubernetes_pod_host_ip":                 "192.168.0." + strconv.Itoa(i%250),
			"__meta_kubernetes_pod_uid":                     fmt.Sprintf("6b1e3f4c-0000-4000-8000-%012d", i),
			"__meta_kubernetes_pod_label_app":               "app-" + strconv.Itoa(i%100),
			"__meta_kubernetes_pod_label_pod_template_hash": "7d4b9c",
			"__meta_kubernetes_pod_labelpresent_app":        "true",
			"__meta_kubernetes_pod_ready":                   "true",
			"__meta_kubernetes_pod_phase":                   "Running",
			"__meta_kubernetes_pod_controller_kind":         "ReplicaSet",
			"__meta_kubernetes_pod_controller_name":         "app-" + strconv.Itoa(i%100) + "-7d4b9c",
			"__meta_kubernetes_pod_container_name":          "app",
			"__meta_kubernetes_pod_container_image":         "example.com/app:1.0",
			"__meta_kubernetes_pod_container_port_name":     "metrics",
			"__meta_kubernetes_pod_container_port_number":   port,
		},
	}
}

func (s *fileScenario) path(f int) string {
	return filepath.Join(s.dir, fmt.Sprintf("targets-%d.json", f))
}

// write replaces a file atomically (write, then rename), as configuration tools do, and returns the moment of
// the rename.
func (s *fileScenario) write(f int) (time.Time, error) {
	b, err := json.Marshal(s.files[f])
	if err != nil {
		return time.Time{}, err
	}
	tmp := s.path(f) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return time.Time{}, err
	}
	at := time.Now()
	return at, os.Rename(tmp, s.path(f))
}

func (s *fileScenario) name() string {
	return fmt.Sprintf("file_sd: %d targets in %d files, refresh_interval %s", s.o.targets, s.o.files, s.o.refresh)
}

func (s *fileScenario) config() string {
	c := "  scrape_configs:\n  - job_name: " + fileJob + "\n    file_sd_configs:\n"
	for f := range s.o.files {
		c += fmt.Sprintf("    - files: [%q]\n      refresh_interval: %s\n", s.path(f), s.o.refresh)
	}
	return c
}

func (s *fileScenario) want() map[string]map[string]bool {
	return map[string]map[string]bool{fileJob: s.targets}
}

func (s *fileScenario) replaceOne(context.Context) (time.Time, error) {
	old := s.files[0][0].Targets[0]
	g := podLikeGroup(0, "-replaced")
	s.files[0][0] = g
	delete(s.targets, old)
	s.targets[g.Targets[0]] = true
	return s.write(0)
}
