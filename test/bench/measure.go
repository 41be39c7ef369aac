package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// served is what every collector is served, per job: address -> collectors serving it.
type served map[string]map[string][]string

// check compares served with want exactly: missing, extra and duplicate (served by two collectors or twice).
func check(s served, want map[string]map[string]bool) (missing, extra, dup int) {
	for job, addrs := range want {
		for a := range addrs {
			switch n := len(s[job][a]); {
			case n == 0:
				missing++
			case n > 1:
				dup += n - 1
			}
		}
	}
	for job, addrs := range s {
		for a := range addrs {
			if !want[job][a] {
				extra++
			}
		}
	}
	return
}

type ta struct {
	base   string
	cmd    *exec.Cmd
	client *http.Client
	// byCollector holds one client per collector, dialing from its pod IP (collectorIP).
	byCollector sync.Map // string -> *http.Client
}

// collectorClient returns the client that asks as collector does: from its pod IP.
func (t *ta) collectorClient(collector string) *http.Client {
	if c, ok := t.byCollector.Load(collector); ok {
		return c.(*http.Client)
	}
	ip := collectorIP(collector)
	if ip == "" {
		return t.client
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true, DialContext: dialer.DialContext}
	c, _ := t.byCollector.LoadOrStore(collector, &http.Client{Timeout: time.Minute, Transport: tr})
	return c.(*http.Client)
}

func (t *ta) fetch(job, collector string) ([]byte, error) {
	u := t.base + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=" + url.QueryEscape(collector)
	resp, err := t.collectorClient(collector).Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	return b, nil
}

// collect fetches every collector's share of every job, the collectors of a job in parallel, so that the shares
// are read at about the same moment.
func (t *ta) collect(jobs []string, collectors []string) (served, error) {
	type share struct {
		addrs []string
		err   error
	}
	s := served{}
	for _, job := range jobs {
		shares := make([]share, len(collectors))
		var wg sync.WaitGroup
		for i, c := range collectors {
			wg.Go(func() {
				b, err := t.fetch(job, c)
				if err != nil {
					shares[i].err = err
					return
				}
				var groups []struct {
					Targets []string `json:"targets"`
				}
				if err := json.Unmarshal(b, &groups); err != nil {
					shares[i].err = fmt.Errorf("job %s collector %s: %w", job, c, err)
					return
				}
				for _, g := range groups {
					shares[i].addrs = append(shares[i].addrs, g.Targets...)
				}
			})
		}
		wg.Wait()
		s[job] = map[string][]string{}
		for i, sh := range shares {
			if sh.err != nil {
				return nil, sh.err
			}
			for _, a := range sh.addrs {
				s[job][a] = append(s[job][a], collectors[i])
			}
		}
	}
	return s, nil
}

// allocMetrics are the allocator's own figures from /metrics, read from the snapshot the server serves: a cheap
// progress probe that does not make the TA encode or the bench decode every share.
type allocMetrics struct {
	perCollector map[string]int
	assigned     int
	collectors   int
	generation   uint64
	held         int // targets a previous collector still serves during a handoff
}

func (t *ta) metrics() (allocMetrics, error) {
	m := allocMetrics{perCollector: map[string]int{}}
	resp, err := t.client.Get(t.base + "/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return m, err
	}
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("/metrics: %s", resp.Status)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			rest = line[i+1:]
		}
		v, _ := strconv.ParseFloat(rest, 64)
		switch {
		case strings.HasPrefix(name, "opentelemetry_allocator_targets_per_collector{"):
			_, c, _ := strings.Cut(name, `collector_name="`)
			c, _, _ = strings.Cut(c, `"`)
			m.perCollector[c] = int(v)
			m.assigned += int(v)
		case strings.HasPrefix(name, "opentelemetry_allocator_collectors_allocatable{"):
			m.collectors = int(v)
		case name == "targetallocator_handoff_targets":
			m.held = int(v)
		case name == "targetallocator_generation", name == "opentelemetry_allocator_generation":
			// The TA's own name; the older one is kept so the bench also measures earlier builds.
			m.generation = uint64(v)
		}
	}
	return m, nil
}

// proc reads a process's resident memory, peak resident memory and CPU time from /proc.
func proc(pid int) (rss, hwm int64, cpu time.Duration) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = kb << 10
			case "VmHWM:":
				hwm = kb << 10
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cpu = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startTA(bin, kubeconfig, dir string, sc scenario, memlimit string, pprof bool, extra []string) (*ta, error) {
	cfg := fmt.Sprintf(`collector_selector:
  matchlabels:
    app.kubernetes.io/component: opentelemetry-collector
allocation_strategy: consistent-hashing
config:
%s`, sc.config())
	path := filepath.Join(dir, "targetallocator.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "ta.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config-file="+path, "--listen-addr="+addr, "--kubeconfig="+kubeconfig)
	if pprof {
		cmd.Args = append(cmd.Args, "--enable-pprof")
	}
	cmd.Args = append(cmd.Args, extra...)
	cmd.Env = append(os.Environ(), "OTELCOL_NAMESPACE="+collectorNS)
	if memlimit != "" {
		// What the TA sets from a container limit (90% of it); the bench runs no container.
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+memlimit)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// DisableCompression as Prometheus' http_sd client (prometheus/common's round tripper) has it: no
	// Accept-Encoding: gzip, so the bench reads what a collector reads.
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &ta{base: "http://" + addr, cmd: cmd, client: &http.Client{Timeout: time.Minute, Transport: tr}}, nil
}

// profileAsync starts a CPU profile of secs seconds into dir/file and returns where its error will arrive; with
// no dir it profiles nothing and the channel yields nil at once.
func (t *ta) profileAsync(dir, file string, secs int) <-chan error {
	done := make(chan error, 1)
	if dir == "" {
		done <- nil
		return done
	}
	go func() {
		done <- t.saveProfile(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), filepath.Join(dir, file))
	}()
	time.Sleep(100 * time.Millisecond) // let the profile begin before the change it is to see
	return done
}

// saveProfile writes what the TA serves at path (a /debug/pprof endpoint) to file.
func (t *ta) saveProfile(path, file string) error {
	resp, err := t.client.Get(t.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (t *ta) stop() {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = t.cmd.Process.Kill()
	}
}

func jobsOf(want map[string]map[string]bool) []string {
	var jobs []string
	for j := range want {
		jobs = append(jobs, j)
	}
	slices.Sort(jobs)
	return jobs
}

func total(want map[string]map[string]bool) int {
	n := 0
	for _, a := range want {
		n += len(a)
	}
	return n
}

// waitServed polls until the served sets are exactly want and returns them, and the moment the fetches that
// proved it began (not when their decoding ended: at a million targets the check itself takes seconds). cheap, when
// set, gates the exact check.
func waitServed(t *ta, want map[string]map[string]bool, collectors []string, timeout time.Duration, cheap func() (bool, error)) (served, time.Time, error) {
	deadline := time.Now().Add(timeout)
	jobs := jobsOf(want)
	for {
		ok := true
		if cheap != nil {
			var err error
			if ok, err = cheap(); err != nil {
				ok = false
			}
		}
		if ok {
			at := time.Now()
			s, err := t.collect(jobs, collectors)
			if err == nil {
				if m, e, d := check(s, want); m == 0 && e == 0 && d == 0 {
					return s, at, nil
				}
			}
		}
		if time.Now().After(deadline) {
			s, err := t.collect(jobs, collectors)
			if err != nil {
				return nil, time.Time{}, fmt.Errorf("not served within %s: %w", timeout, err)
			}
			m, e, d := check(s, want)
			return s, time.Time{}, fmt.Errorf("not served within %s: %d missing, %d extra, %d duplicate", timeout, m, e, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func measure(ctx context.Context, o options, c *cluster, sc scenario, bin, kubeconfig, dir string, r *report) error {
	want := sc.want()
	jobs := jobsOf(want)
	n := total(want)
	start := time.Now()
	t, err := startTA(bin, kubeconfig, dir, sc, o.memlimit, o.pprofDir != "", strings.Fields(o.taFlags))
	if err != nil {
		return err
	}
	defer t.stop()
	pid := t.cmd.Process.Pid
	defer func() {
		if r.failed {
			log, _ := os.ReadFile(filepath.Join(dir, "ta.log"))
			if len(log) > 4000 {
				log = log[len(log)-4000:]
			}
			fmt.Fprintf(os.Stderr, "target allocator log (tail):\n%s\n", log)
		}
	}()

	// Phase 1: start until every target is served exactly.
	s, at, err := waitServed(t, want, c.collectors, 5*time.Minute, func() (bool, error) {
		m, err := t.metrics()
		return m.assigned == n && m.collectors == len(c.collectors), err
	})
	if err != nil {
		r.fail("start", err)
		return err
	}
	rss, hwm, cpu := proc(pid)
	r.row("start: all targets served", at.Sub(start), fmt.Sprintf("RSS %s, CPU %s, peak RSS so far %s", mb(rss), cpu.Round(10*time.Millisecond), mb(hwm)))
	r.checked("start", s, want)

	// Phase 2: idle.
	time.Sleep(o.idle)
	rss2, _, cpu2 := proc(pid)
	r.row(fmt.Sprintf("idle %s", o.idle), 0, fmt.Sprintf("RSS %s, CPU %s", mb(rss2), (cpu2-cpu).Round(10*time.Millisecond)))
	if o.pprofDir != "" {
		if err := t.saveProfile("/debug/pprof/heap?gc=1", filepath.Join(o.pprofDir, "heap-idle.pprof")); err != nil {
			return err
		}
	}

	// Phase 3: http_sd under 4 clients (and, with -pprof, a CPU profile of the TA over the same period).
	prof := t.profileAsync(o.pprofDir, "cpu-http_sd.pprof", max(1, int(o.load.Seconds())))
	_, _, cpuL0 := proc(pid)
	p50, p99, rps, bytes, errs := load(t, jobs[0], c.collectors, o.load)
	_, hwmL, cpuL1 := proc(pid)
	per := int64(0)
	if n := int64(rps * o.load.Seconds()); n > 0 {
		per = bytes / n
	}
	r.row("http_sd, 4 clients", 0, fmt.Sprintf("p50 %s, p99 %s, %.0f req/s, %d errors, %d KB a response, %.0f MB/s, TA CPU %s, peak RSS so far %s",
		p50, p99, rps, errs, per>>10, float64(bytes)/o.load.Seconds()/(1<<20), (cpuL1-cpuL0).Round(10*time.Millisecond), mb(hwmL)))
	if err := <-prof; err != nil {
		return err
	}

	// Phase 4: one target replaced.
	m0, err := t.metrics()
	if err != nil {
		return err
	}
	replaceProf := t.profileAsync(o.pprofDir, "cpu-replace.pprof", 10)
	changed, err := sc.replaceOne(ctx)
	if err != nil {
		return err
	}
	// Every change of what is served moves the generation; only then is an exact check worth its cost.
	s, at, err = waitServed(t, want, c.collectors, 2*time.Minute, func() (bool, error) {
		m, err := t.metrics()
		return m.generation != m0.generation, err
	})
	if err != nil {
		r.fail("replace", err)
		return err
	}
	_, hwmR, _ := proc(pid)
	r.row("one target replaced -> served", at.Sub(changed), "peak RSS so far "+mb(hwmR))
	if err := <-replaceProf; err != nil {
		return err
	}
	r.checked("replace", s, want)

	// Phase 5: a collector joins.
	before := s
	joinProf := t.profileAsync(o.pprofDir, "cpu-join.pprof", 15)
	if err := c.addCollector(ctx, len(c.collectors)); err != nil {
		return err
	}
	joined := time.Now()
	newest := c.collectors[len(c.collectors)-1]
	// Under make-before-break the previous owners keep serving the moved targets until the new collector has
	// fetched them; a collector fetches as it starts, so once the TA allocates to it the bench fetches as it,
	// from its pod IP, before the exact check (which reads every share at once, and at a million targets takes
	// seconds).
	s, at, err = waitServed(t, want, c.collectors, 2*time.Minute, func() (bool, error) {
		m, err := t.metrics()
		if err != nil || m.collectors != len(c.collectors) || m.perCollector[newest] == 0 || m.assigned != n {
			return false, err
		}
		if m.held > 0 {
			for _, job := range jobs {
				if _, err := t.fetch(job, newest); err != nil {
					return false, err
				}
			}
			if m, err = t.metrics(); err != nil {
				return false, err
			}
		}
		return m.held == 0, nil
	})
	if err != nil {
		r.fail("join", err)
		return err
	}
	moved := 0
	for job, addrs := range s {
		for a, cols := range addrs {
			if prev := before[job][a]; len(prev) == 1 && prev[0] != cols[0] {
				moved++
			}
		}
	}
	r.row("collector joins -> served", at.Sub(joined), fmt.Sprintf("moved %.3f (ideal %.3f)", float64(moved)/float64(n), 1/float64(len(c.collectors))))
	r.checked("join", s, want)
	if err := <-joinProf; err != nil {
		return err
	}
	if o.pprofDir != "" {
		if err := t.saveProfile("/debug/pprof/heap", filepath.Join(o.pprofDir, "heap-end.pprof")); err != nil {
			return err
		}
	}

	rss3, hwm, _ := proc(pid)
	r.row("end", time.Since(start), fmt.Sprintf("RSS %s, peak RSS %s", mb(rss3), mb(hwm)))
	r.print()
	return nil
}

func load(t *ta, job string, collectors []string, d time.Duration) (p50, p99 time.Duration, rps float64, bytes int64, errs int) {
	var mu sync.Mutex
	var lat []time.Duration
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; time.Now().Before(end); i++ {
				s := time.Now()
				b, err := t.fetch(job, collectors[i%len(collectors)])
				el := time.Since(s)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, el)
					bytes += int64(len(b))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		return 0, 0, 0, 0, errs
	}
	slices.Sort(lat)
	return lat[len(lat)/2].Round(10 * time.Microsecond), lat[len(lat)*99/100].Round(10 * time.Microsecond), float64(len(lat)) / d.Seconds(), bytes, errs
}

func mb(b int64) string { return fmt.Sprintf("%d MB", b>>20) }

type report struct {
	lines  []string
	failed bool
}

func (r *report) header(o options, sc scenario) {
	host, _ := os.Hostname()
	limit := "no GOMEMLIMIT"
	if o.memlimit != "" {
		limit = "GOMEMLIMIT " + o.memlimit
	}
	load, _ := os.ReadFile("/proc/loadavg")
	bin := "built from this tree"
	if o.taBin != "" {
		bin = o.taBin
	}
	if o.taFlags != "" {
		bin += " with " + o.taFlags
	}
	r.lines = append(r.lines, fmt.Sprintf("# %s, %d collectors, %s, %s, host %s, load average %s, TA %s", sc.name(), o.collectors, limit,
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, strings.Join(strings.Fields(string(load))[:3], " "), bin))
	r.lines = append(r.lines, "| phase | time | figures |", "| --- | --- | --- |")
}

func (r *report) row(phase string, d time.Duration, figures string) {
	ts := ""
	if d > 0 {
		ts = d.Round(10 * time.Millisecond).String()
	}
	r.lines = append(r.lines, fmt.Sprintf("| %s | %s | %s |", phase, ts, figures))
}

func (r *report) checked(phase string, s served, want map[string]map[string]bool) {
	m, e, d := check(s, want)
	r.lines = append(r.lines, fmt.Sprintf("| %s: served sets checked | | %d missing, %d extra, %d duplicate |", phase, m, e, d))
}

func (r *report) fail(phase string, err error) {
	r.failed = true
	r.lines = append(r.lines, fmt.Sprintf("| %s | FAILED | %v |", phase, err))
	r.print()
}

func (r *report) print() { fmt.Println(strings.Join(r.lines, "\n")) }
