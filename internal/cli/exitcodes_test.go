package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodesGolden runs a mistake or a miss of every kind through the
// commands and records the status each exits with and what it says: one
// rule (herald help exit-codes) for all of them.
func TestExitCodesGolden(t *testing.T) {
	cfg, db := opsWorld(t, "")
	newsDesk(t, db)
	var b strings.Builder
	for _, args := range [][]string{
		{"queue"},
		{"queue", "--account", "nobody"},
		{"queue", "--state", "done"},
		{"queue", "retry", "9999"},
		{"queue", "retry", "abc"},
		{"queue", "cancel", "9999"},
		{"queue", "approve", "9999"},
		{"queue", "approve"},
		{"queue", "approve", "1", "--all"},
		{"queue", "reject", "1"},
		{"accounts", "resume", "nobody"},
		{"accounts", "check", "nobody"},
		{"post", "--account", "nobody", "--title", "T", "--link", "https://example.com/t"},
		{"post", "--title", "T", "--link", "https://example.com/t"},
		{"preview", "--account", "nobody", "--title", "T", "--link", "https://example.com/t"},
		{"repost", "9999", "--dry-run"},
		{"repost", "1", "--account", "nobody", "--dry-run"},
		{"history", "9999"},
		{"history", "not an id"},
		{"delete", "9999", "--yes"},
		{"articles", "--source", "nowhere"},
		{"report", "--section", "nowhere"},
		{"report", "--by", "likes"},
		{"feeds", "check", "nowhere"},
		{"completion", "tcsh"},
		{"nope"},
	} {
		code, _, errOut := run(t, append([]string{"--config", cfg}, args...)...)
		first, _, _ := strings.Cut(errOut, "\n")
		first = strings.ReplaceAll(first, filepath.Dir(cfg), "DIR")
		fmt.Fprintf(&b, "%d  herald %s\n   %s\n", code, strings.Join(args, " "), first)
	}
	golden(t, "exitcodes.golden", b.String())
}
