package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
)

// errCancelled is returned when the operator answers no to a confirmation:
// nothing was done (exit status 1, as apt and others do).
var errCancelled = errors.New("cancelled: nothing was done")

// canPrompt reports whether a question can be asked: standard input and
// standard error (where the question goes) are both terminals.
func (a *App) canPrompt() bool {
	f, ok := a.In().(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) && isTerminal(a.Err())
}

// confirm asks question ("Delete this post?") on standard error and
// returns nil when the answer is y or yes, errCancelled otherwise (an empty
// answer or end of input is no). With yes (--yes) it asks nothing. Off a
// terminal it does not guess: like gh, it refuses with a usage error asking
// for --yes, so a script says what it wants.
func (a *App) confirm(question string, yes bool) error {
	if yes {
		return nil
	}
	if !a.canPrompt() {
		return usageErrorf("%s: not on a terminal, so nothing was asked; add --yes to go ahead", strings.TrimSuffix(question, "?"))
	}
	if _, err := fmt.Fprintf(a.Err(), "%s [y/N] ", question); err != nil {
		return err
	}
	line, err := bufio.NewReader(a.In()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	if errors.Is(err, io.EOF) {
		fmt.Fprintln(a.Err()) // end the prompt's line
	}
	return errCancelled
}
