// Package bench measures Herald at scale through its real code paths: the
// feed poller over a loopback feed server, the SQLite (or PostgreSQL) store,
// the dispatcher with the real X and Facebook clients against the
// internal/emulator emulations, and the HTTP server's webhook. Each scenario
// has a full size (the figures in the README) and a quick size (CI runs it
// so that the tool never rots). cmd/herald-bench prints the results.
//
// Everything but the idle scenario runs in one process, so those resident-set
// figures include the feed server and the emulations; each scenario's peak
// is its own (the high-water mark is reset between scenarios). The idle
// scenario runs `herald run` as a child process and measures it alone.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Options configure a run.
type Options struct {
	// Quick runs every scenario at its small size (the whole run < ~60 s).
	Quick bool
	// Scenarios to run by name (Names); empty: all.
	Scenarios []string
	// Postgres, when set, repeats the store-bound scenarios on the
	// PostgreSQL database at this URL (each in a schema of its own, dropped
	// afterwards).
	Postgres string
	// Dir holds the scenarios' SQLite files (default: a temporary directory,
	// removed afterwards).
	Dir string
	// CacheDir keeps the report scenario's generated database between runs
	// (default: the system's temporary directory). Generating the full size
	// takes minutes.
	CacheDir string
	// HeraldBin is the herald binary the idle scenario runs (default: built
	// with `go build ./cmd/herald` from the module around the working
	// directory).
	HeraldBin string
	// Log, when set, is told of each scenario as it starts and ends.
	Log *slog.Logger
}

// Result is one row of the table: a scenario on one store.
type Result struct {
	Scenario string             `json:"scenario"`
	Store    string             `json:"store"` // sqlite or postgres
	Size     string             `json:"size"`
	Result   string             `json:"result"` // the figures, for people
	Target   string             `json:"target"`
	Met      bool               `json:"met"`
	Error    string             `json:"error,omitempty"` // the scenario could not run or was wrong
	Metrics  map[string]float64 `json:"metrics"`         // the figures, for machines
	Elapsed  float64            `json:"elapsed_s"`       // the scenario's whole run, set-up included
}

// Report is a whole run.
type Report struct {
	Cores     int       `json:"cores"`
	GoVersion string    `json:"go_version"`
	OS        string    `json:"os"`
	Quick     bool      `json:"quick"`
	Started   time.Time `json:"started"`
	Results   []Result  `json:"results"`
}

// Failed reports whether a scenario errored (a missed target is no failure).
func (r Report) Failed() bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.Error != "" })
}

// scenario is one entry of the table (some produce two rows).
type scenario struct {
	name     string
	postgres bool // repeated on PostgreSQL when asked
	run      func(ctx context.Context, e *env) []Result
}

var scenarios = []scenario{
	{"poll", true, runPoll}, // first poll cycle and unchanged cycle
	{"new-items", true, runNewItems},
	{"burst", true, runBurst},
	{"webhook", true, runWebhook},
	{"dispatch", true, runDispatch},
	{"report", false, runReport},
	{"idle", false, runIdle},
}

// Names lists the scenarios in the order they run.
func Names() []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.name
	}
	return out
}

// env is what scenarios share: sizes and where things go.
type env struct {
	quick     bool
	dir       string
	cacheDir  string
	pg        string // "" for SQLite
	heraldBin string
	log       *slog.Logger
}

func (e *env) store() string {
	if e.pg != "" {
		return "postgres"
	}
	return "sqlite"
}

// size picks the full or the quick figure.
func (e *env) size(full, quick int) int {
	if e.quick {
		return quick
	}
	return full
}

// Run runs the chosen scenarios one after the other. It returns an error
// only for bad options; a scenario that fails is a Result with Error set.
func Run(ctx context.Context, opts Options) (Report, error) {
	rep := Report{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Quick: opts.Quick, Started: time.Now().UTC()}
	for _, name := range opts.Scenarios {
		if !slices.Contains(Names(), name) {
			return rep, fmt.Errorf("bench: unknown scenario %q (scenarios: %s)", name, strings.Join(Names(), ", "))
		}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "herald-bench-")
		if err != nil {
			return rep, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cache := opts.CacheDir
	if cache == "" {
		cache = os.TempDir()
	}
	stores := []string{""}
	if opts.Postgres != "" {
		stores = append(stores, opts.Postgres)
	}
	for _, s := range scenarios {
		if len(opts.Scenarios) > 0 && !slices.Contains(opts.Scenarios, s.name) {
			continue
		}
		for _, pg := range stores {
			if pg != "" && !s.postgres {
				continue
			}
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			e := &env{quick: opts.Quick, dir: dir, cacheDir: cache, pg: pg, heraldBin: opts.HeraldBin, log: log}
			log.Info("scenario", "name", s.name, "store", e.store(), "quick", opts.Quick)
			resetPeak()
			start := time.Now()
			rows := safeRun(ctx, s, e)
			for i := range rows {
				rows[i].Store = e.store()
				rows[i].Elapsed = time.Since(start).Seconds()
				log.Info("result", "scenario", rows[i].Scenario, "result", rows[i].Result, "met", rows[i].Met,
					"error", rows[i].Error)
			}
			rep.Results = append(rep.Results, rows...)
		}
	}
	return rep, nil
}

// safeRun turns a scenario's panic into an errored row.
func safeRun(ctx context.Context, s scenario, e *env) (rows []Result) {
	defer func() {
		if p := recover(); p != nil {
			rows = []Result{{Scenario: s.name, Error: fmt.Sprintf("panic: %v", p)}}
		}
	}()
	return s.run(ctx, e)
}

// failed is a row for a scenario that could not be measured.
func failed(name, size, target string, err error) Result {
	return Result{Scenario: name, Size: size, Target: target, Error: err.Error(), Metrics: map[string]float64{}}
}

// waitFor polls cond every 2 ms until it holds, ctx ends or limit passes.
func waitFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	return waitEvery(ctx, limit, 2*time.Millisecond, cond)
}

// waitEvery is waitFor polling every interval: a cond that costs the
// process under measurement more than a little is asked less often.
func waitEvery(ctx context.Context, limit, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
