package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald/internal/bench/feedserver"
	"github.com/heraldhq/herald/internal/sqlite"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// runIdle runs `herald run` as a child process over 100 feeds of the
// loopback feed server, polled at an interval, that never change (dry run:
// nothing is posted), and measures the child's resident set and CPU use
// once the first cycle is done. The child is Herald alone: the feed server
// and whatever earlier scenarios left stay in this process.
func runIdle(ctx context.Context, e *env) []Result {
	const n = 100
	dur, interval := 5*time.Minute, time.Minute
	if e.quick {
		dur, interval = 10*time.Second, 2*time.Second
	}
	size := fmt.Sprintf("%d feeds every %s for %s", n, interval, dur)
	const target = "RSS ≤ 30 MB, CPU ≤ 0.5 % of one core"
	fail := func(err error) []Result { return []Result{failed("idle", size, target, err)} }
	bin, err := heraldBinary(ctx, e)
	if err != nil {
		return fail(err)
	}
	srv := feedserver.Start(feedItems, time.Now().Add(-time.Hour))
	defer srv.Close()
	dir, err := os.MkdirTemp(e.dir, "idle-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "herald.db")
	cfgPath := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(cfgPath, idleConfig(srv, n, interval, dbPath), 0o600); err != nil {
		return fail(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--config", cfgPath, "run")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start %s: %w", bin, err))
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()
	withLog := func(err error) []Result {
		return fail(fmt.Errorf("%w; herald's log ends: %s", err, tail(stderr.String(), 600)))
	}
	// Idle begins once every feed has been seen (its backlog recorded).
	if err := waitSeeded(ctx, dbPath, n, exited); err != nil {
		return withLog(fmt.Errorf("first cycle: %w", err))
	}
	pid := cmd.Process.Pid
	hwmReset := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	m, err := sampleIdle(ctx, pid, dur, exited)
	if err != nil {
		return withLog(err)
	}
	stopped = true
	if err := stopChild(cmd, exited); err != nil {
		return withLog(err)
	}
	if err := checkIdle(ctx, dbPath, n); err != nil {
		return withLog(fmt.Errorf("idle polls: %w", err))
	}
	pct := 100 * m.cpu.Seconds() / m.wall.Seconds()
	peakNote := "peak"
	if !hwmReset {
		peakNote = "peak incl. first cycle"
	}
	return []Result{{Scenario: "idle", Size: size, Target: target,
		Result: fmt.Sprintf("herald run alone (child process): RSS max %.0f MB (%.0f MB of it file-backed: the binary's pages), "+
			"%s %.0f MB, CPU %.2f %% of one core", mb(m.maxRSS), mb(m.maxFile), peakNote, mb(m.hwm), pct),
		Met: m.maxRSS <= 30<<20 && pct <= 0.5,
		Metrics: map[string]float64{"feeds": n, "rss_mb": mb(m.maxRSS), "rss_anon_mb": mb(m.maxAnon),
			"rss_file_mb": mb(m.maxFile), "peak_rss_mb": mb(m.hwm), "cpu_percent": pct,
			"cpu_seconds": m.cpu.Seconds(), "seconds": m.wall.Seconds()}}}
}

// idleConfig is the child's configuration: an SQLite file, a dry run (no
// credentials, nothing sent), n sources on the feed server.
func idleConfig(srv *feedserver.Server, n int, interval time.Duration, dbPath string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "database:\n  url: %q\nhttp:\n  addr: \"127.0.0.1:0\"\npublish:\n  dry_run: true\n", "sqlite:"+dbPath)
	b.WriteString("log:\n  level: warn\n  format: text\naccounts:\n  x_main:\n    network: twitter\nsources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: %q\n    url: %q\n    interval: %s\n    targets: [x_main]\n",
			"feed-"+strconv.Itoa(i), srv.URL(i), interval)
	}
	return []byte(b.String())
}

// waitSeeded waits until the child's store shows every feed polled.
func waitSeeded(ctx context.Context, dbPath string, n int, exited <-chan error) error {
	return waitFor(ctx, 2*time.Minute, func() (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("herald exited: %v", err)
		default:
		}
		if _, err := os.Stat(dbPath); err != nil {
			return false, nil
		}
		db, err := sqlite.Open(ctx, dbPath)
		if err != nil {
			return false, nil // the child may be migrating
		}
		defer db.Close()
		return checkSources(ctx, db, n, 0, n*feedItems) == nil, nil
	})
}

// checkIdle verifies that every feed was polled again and unchanged.
func checkIdle(ctx context.Context, dbPath string, n int) error {
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkSources(ctx, db, n, 304, n*feedItems)
}

// idleFigures are a child's figures over the idle period: the largest
// resident set sampled and its anonymous and file-backed parts, and the
// kernel's high-water mark.
type idleFigures struct {
	maxRSS, maxAnon, maxFile, hwm int64
	cpu, wall                     time.Duration
}

// sampleIdle samples the child's resident set every second for dur and
// measures its CPU time over the period.
func sampleIdle(ctx context.Context, pid int, dur time.Duration, exited <-chan error) (idleFigures, error) {
	var m idleFigures
	cpu0, err := procCPU(pid)
	if err != nil {
		return m, err
	}
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.After(dur)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case err := <-exited:
			return m, fmt.Errorf("herald exited while idle: %v", err)
		case <-end:
			done = true
		case <-tick.C:
		}
		if rss := procStatusOf(pid, "VmRSS"); rss > m.maxRSS {
			m.maxRSS, m.maxAnon, m.maxFile = rss, procStatusOf(pid, "RssAnon"), procStatusOf(pid, "RssFile")
		}
	}
	m.wall = time.Since(start)
	cpu1, err := procCPU(pid)
	if err != nil {
		return m, err
	}
	m.cpu, m.hwm = cpu1-cpu0, procStatusOf(pid, "VmHWM")
	return m, nil
}

// procCPU is a process's CPU time (utime + stime) from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	// The fields after the command name (in parentheses, which may hold
	// spaces): state is field 3, utime 14 and stime 15.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu time: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// stopChild interrupts the child and wants a clean exit within 10 s.
func stopChild(cmd *exec.Cmd, exited <-chan error) error {
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("interrupt herald: %w", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("herald did not exit cleanly on SIGINT: %w", err)
		}
		return nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		return errors.New("herald did not exit within 10 s of SIGINT")
	}
}

// heraldBinary is the herald binary to run: the one named in the options,
// or one built from the module around the working directory into e.dir as
// the Dockerfile builds it (static, no cgo, stripped), since a binary's
// pages are part of its resident set.
func heraldBinary(ctx context.Context, e *env) (string, error) {
	if e.heraldBin != "" {
		return e.heraldBin, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(e.dir, "herald")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/herald")
	cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build herald: %w: %s", err, tail(string(msg), 600))
	}
	return out, nil
}

// moduleRoot walks up from the working directory to the go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory (give the herald binary with --herald-bin)")
		}
		dir = up
	}
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
