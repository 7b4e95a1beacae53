package cli

import (
	"strings"
	"testing"
)

// TestDynamicCompletion asks cobra's hidden __complete command, as the
// shell scripts do, for flag values, account ids, source names and job ids.
func TestDynamicCompletion(t *testing.T) {
	cfg, db := opsWorld(t, "")
	newsDesk(t, db)
	var b strings.Builder
	for _, args := range [][]string{
		{"report", "--format", ""},
		{"post", "--format", ""},
		{"queue", "--state", ""},
		{"report", "--by", ""},
		{"report", "--network", ""},
		{"queue", "--account", ""},
		{"accounts", "resume", ""},
		{"report", "--section", ""},
		{"feeds", "check", ""},
		{"queue", "retry", ""},
		{"queue", "cancel", ""},
	} {
		code, out, errOut := run(t, append([]string{"--config", cfg, "__complete"}, args...)...)
		if code != ExitOK {
			t.Fatalf("__complete %v: exit %d: %s", args, code, errOut)
		}
		b.WriteString("$ herald " + strings.Join(args, " ") + "<TAB>\n" + out)
	}
	golden(t, "completion.golden", b.String())
}
