package cli

import (
	"errors"
	"fmt"

	"github.com/heraldhq/herald/internal/config"
	"github.com/spf13/cobra"
)

// Exit statuses of every command, documented by `herald help exit-codes`.
const (
	ExitOK         = 0 // the command did what was asked
	ExitFailure    = 1 // it failed: network, database, an API error, something that does not exist, ...
	ExitUsage      = 2 // it was asked wrongly: bad flags or arguments, invalid configuration
	ExitNotRunning = 3 // herald status: the daemon is not running (as service managers say)
)

// notRunningErr is herald status's answer when no daemon uses this
// configuration's database: exit status 3.
type notRunningErr struct{ err error }

func (e *notRunningErr) Error() string { return e.err.Error() }
func (e *notRunningErr) Unwrap() error { return e.err }

// notFoundErrorf reports that something named does not exist (an account,
// a source, a job, an article): a runtime failure, exit status 1, like
// every other failure, never a usage error.
func notFoundErrorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// usageErr marks an error as the caller's: exit status 2.
type usageErr struct{ err error }

func (e *usageErr) Error() string { return e.err.Error() }
func (e *usageErr) Unwrap() error { return e.err }

// usageError marks err as a usage or configuration error (exit status 2).
// Commands return it for arguments they check themselves.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &usageErr{err}
}

// usageErrorf is usageError(fmt.Errorf(format, args...)).
func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Errorf(format, args...))
}

// exitCode maps a command's error to the process's exit status.
func exitCode(err error) int {
	var ue *usageErr
	var ve *config.ValidationError
	var nr *notRunningErr
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.As(err, &ve):
		return ExitUsage
	case errors.As(err, &nr):
		return ExitNotRunning
	}
	return ExitFailure
}

// exitCodesTopic is `herald help exit-codes`: a help topic, not a command.
func exitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "Exit status of every command",
		Long: `Every herald command exits with one of these statuses, so scripts can
tell a failure worth retrying from a mistake in how herald was called:

  0  success.
  1  failure: the work could not be done (a database, network or API error,
     a post the network refused), including something named that does not
     exist (an account, a source, an article, a job). Retrying later, or
     with another name, may help.
  2  usage or configuration error: an unknown command, flag or shell, a
     missing or malformed argument, a configuration file that cannot be
     read, or a configuration that does not validate (the message names the
     key, e.g. "sources[2].interval: must be a positive duration"). Retrying
     will not help until the call or the configuration is fixed.
  3  herald status only: no daemon is running for this configuration's
     database (what service managers answer for a stopped service). The
     status is printed all the same.

Errors are printed on standard error as "herald: <error>"; standard output
carries only the command's result.`,
	}
}
