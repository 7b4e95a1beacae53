// Package cli is Herald's command line: cobra commands with thin RunEs that
// build what they need from the configuration and call the packages that do
// the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"
)

// App is what every command shares: the output streams, the global flags,
// and the configuration and logger built from them on first use. One App
// serves one command line.
type App struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader

	// Global flags (see NewRoot).
	configPath string
	logLevel   string
	logFormat  string
	noColor    bool
	flags      *pflag.FlagSet // the root's persistent flags

	cfg     *config.Config
	cfgErr  error
	cfgDone bool
	logger  *slog.Logger
	started bool // a command's Run began (see markRuns)
	// anyCredentials lets accounts lack credentials (accounts connect and
	// disconnect obtain or forget them).
	anyCredentials bool
	// clock is the commands' clock: relative times, windows, due times
	// [time.Now].
	clock func() time.Time
	// daemonSends leaves the job `herald post` creates to a running daemon
	// instead of sending it from the command.
	daemonSends bool
	// using names the configuration and the database once the command
	// opened the store; its JSON output carries them (see writeJSON).
	using *using
}

// now is the commands' clock.
func (a *App) now() time.Time {
	if a.clock != nil {
		return a.clock()
	}
	return time.Now()
}

// NewApp returns an App writing results to stdout and errors and logs to
// stderr, reading answers from os.Stdin.
func NewApp(stdout, stderr io.Writer) *App {
	return &App{stdout: stdout, stderr: stderr, stdin: os.Stdin}
}

// Execute runs the command line args (without the program name) and returns
// the exit status: 0 ok, 1 failure, 2 usage or configuration error.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return NewApp(stdout, stderr).Run(ctx, args)
}

// Run runs the command line args and returns the exit status. Errors are
// printed once, on stderr, as "herald: <error>".
func (a *App) Run(ctx context.Context, args []string) int {
	root := NewRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if !a.started {
		err = usageError(err) // cobra refused the command line itself
	}
	code := exitCode(err)
	fmt.Fprintf(a.stderr, "herald: %s\n", strings.TrimRight(err.Error(), "\n"))
	var ue *usageErr
	if errors.As(err, &ue) && cmd != nil && !a.configFailed() {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// Out is where a command writes its result (standard output).
func (a *App) Out() io.Writer { return a.stdout }

// Err is where messages for the operator go (standard error).
func (a *App) Err() io.Writer { return a.stderr }

// In is where answers to prompts come from (standard input).
func (a *App) In() io.Reader { return a.stdin }

// SetIn replaces standard input (for tests of prompts).
func (a *App) SetIn(r io.Reader) { a.stdin = r }

// Config loads and validates the configuration once (defaults, the file
// named by --config, HERALD_* variables, flags) and returns it. Its errors
// are configuration errors: the command exits with status 2.
func (a *App) Config() (*config.Config, error) {
	if !a.cfgDone {
		a.cfgDone = true
		a.cfg, a.cfgErr = a.loadConfig()
		if a.cfgErr != nil {
			a.cfgErr = usageError(a.cfgErr)
		}
	}
	return a.cfg, a.cfgErr
}

func (a *App) loadConfig() (*config.Config, error) {
	path := ""
	if a.flags != nil && a.flags.Changed("config") {
		path = a.configPath
	} else if env := os.Getenv("HERALD_CONFIG"); env != "" {
		path = env
	}
	cfg, err := config.LoadOptions(config.Options{Path: path, Flags: a.flags, Version: Build().Version})
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		// Accounts connected with `herald accounts connect` have their
		// credentials in the store, not in the configuration.
		var connected map[string]bool
		if a.anyCredentials {
			connected = map[string]bool{}
			for id := range cfg.Accounts {
				connected[id] = true
			}
		} else {
			connected = connectedAccounts(context.Background(), cfg)
		}
		if err := cfg.ValidateConnected(connected); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func (a *App) configFailed() bool { return a.cfgDone && a.cfgErr != nil }

// Logger returns the logger every part gets, writing to stderr at the
// configured level, as text on a terminal and JSON otherwise (log.format,
// --log-format). With no valid configuration it follows the flags alone.
func (a *App) Logger() *slog.Logger {
	if a.logger != nil {
		return a.logger
	}
	level, format := a.logLevel, a.logFormat
	if cfg, err := a.Config(); err == nil {
		level, format = cfg.Log.Level, cfg.Log.Format
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" || (format != "json" && isTerminal(a.stderr)) {
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	} else {
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return a.logger
}

// Interactive reports whether standard output is a terminal: progress bars
// and confirmation prompts are shown only then.
func (a *App) Interactive() bool { return isTerminal(a.stdout) }

// Color reports whether output may use colour: on a terminal, without
// --no-color and without NO_COLOR (https://no-color.org).
func (a *App) Color() bool {
	return !a.noColor && os.Getenv("NO_COLOR") == "" && isTerminal(a.stdout)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
