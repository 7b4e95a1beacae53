// Command herald-bench measures Herald at scale on this machine through its
// real code paths (feed poller, store, dispatcher with the real X and
// Facebook clients, HTTP webhook), against a loopback feed server and the
// internal/emulator emulations of X and the Graph API, and prints one row per
// scenario with its target and whether it was met:
//
//	go run ./cmd/herald-bench                      # every scenario at full size (about 15 min)
//	go run ./cmd/herald-bench --quick              # small sizes, under a minute (CI)
//	go run ./cmd/herald-bench --scenario poll --scenario report
//	go run ./cmd/herald-bench --json > bench.json
//	go run ./cmd/herald-bench --postgres postgres://postgres@127.0.0.1:5432/postgres
//
// Scenarios: poll (first poll cycle and unchanged cycle), new-items, burst,
// webhook, dispatch, report, idle. The report scenario's database (a million
// articles at full size) is generated once into --cache-dir and reused. The
// idle scenario runs `herald run` alone in a child process (built with go
// build from the module around the working directory, or --herald-bin) and
// reports its resident set and CPU as a share of one core.
//
// Exit status: 0 when every scenario ran (missed targets included), 1 when
// a scenario errored (it could not run, or Herald did something wrong such
// as posting twice), 2 for bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/heraldhq/herald/internal/bench"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, strings.Split(v, ",")...); return nil }

func main() { os.Exit(run()) }

// run is main with an exit status, so that deferred work (the CPU profile)
// is done before the process exits.
func run() int {
	var opts bench.Options
	var scenarios multi
	var asJSON, verbose bool
	var cpuProfile string
	fs := flag.NewFlagSet("herald-bench", flag.ContinueOnError)
	fs.BoolVar(&opts.Quick, "quick", false, "run every scenario at its small size (under a minute)")
	fs.Var(&scenarios, "scenario", "run only this scenario (repeatable): "+strings.Join(bench.Names(), ", "))
	fs.StringVar(&opts.Postgres, "postgres", "", "also run the store-bound scenarios on this PostgreSQL URL")
	fs.StringVar(&opts.Dir, "dir", "", "directory for the scenarios' databases (default: a temporary one)")
	fs.StringVar(&opts.CacheDir, "cache-dir", "", "where the report scenario's generated database is kept (default: the temporary directory)")
	fs.StringVar(&opts.HeraldBin, "herald-bin", "", "herald binary the idle scenario runs (default: built from this module)")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	fs.BoolVar(&verbose, "v", false, "log each scenario on stderr as it runs")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	opts.Scenarios = scenarios
	if verbose {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "herald-bench: --cpuprofile:", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "herald-bench: --cpuprofile:", err)
			return 2
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald-bench:", err)
		return 2
	}
	if asJSON {
		err = bench.WriteJSON(os.Stdout, rep)
	} else {
		err = bench.WriteTable(os.Stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald-bench:", err)
		return 1
	}
	if rep.Failed() {
		fmt.Fprintln(os.Stderr, "herald-bench: a scenario failed (see the table)")
		return 1
	}
	return 0
}
