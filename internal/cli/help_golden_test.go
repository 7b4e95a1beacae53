package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// helpGoldenDir holds one golden file per command path: herald.golden,
// herald_repost.golden, herald_accounts_check.golden, ... (go test -update
// rewrites them and removes those of commands that are gone).
const helpGoldenDir = "testdata/help"

// helpPath is a command's path without "herald" ([] for the root); a topic
// (herald help exit-codes) has no usage line.
type helpPath struct {
	path  []string
	topic bool
}

// commandPaths returns every command of the tree, the root included, as
// cobra builds it when it executes: with its help and completion commands.
func commandPaths() []helpPath {
	root := NewRoot(NewApp(&bytes.Buffer{}, &bytes.Buffer{}))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var out []helpPath
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		out = append(out, helpPath{path: path, topic: !c.Runnable() && !c.HasSubCommands()})
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(root, nil)
	return out
}

func helpGoldenName(path []string) string {
	return strings.Join(append([]string{"herald"}, path...), "_") + ".golden"
}

func TestHelpGolden(t *testing.T) {
	clearEnv(t)
	t.Setenv("NO_COLOR", "")
	update := false
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		update = true
		if err := os.MkdirAll(helpGoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, hp := range commandPaths() {
		path := hp.path
		name := helpGoldenName(path)
		want[name] = true
		t.Run(strings.Join(append([]string{"herald"}, path...), " "), func(t *testing.T) {
			code, out, errOut := run(t, append(slices.Clone(path), "--help")...)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !hp.topic && !strings.Contains(out, "Usage:") {
				t.Errorf("no usage:\n%s", out)
			}
			golden(t, filepath.Join("help", name), out)
		})
	}
	// A golden file of a command that no longer exists is stale.
	files, err := filepath.Glob(filepath.Join(helpGoldenDir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if want[filepath.Base(f)] {
			continue
		}
		if update {
			if err := os.Remove(f); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s: no such command any more (go test -update removes it)", f)
	}
	for _, must := range []string{"herald_repost.golden", "herald_history.golden", "herald_delete.golden",
		"herald_status.golden", "herald_completion_bash.golden"} {
		if !want[must] {
			t.Errorf("no command for %s", must)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	clearEnv(t)
	for shell, want := range map[string][]string{
		"bash": {"# bash completion V2 for herald", "__start_herald", "complete -o default -F __start_herald herald"},
		"zsh":  {"#compdef herald", "compdef _herald herald"},
		"fish": {"# fish completion for herald", "complete -c herald"},
	} {
		code, out, errOut := run(t, "completion", shell)
		if code != ExitOK || errOut != "" {
			t.Errorf("completion %s: exit %d, %s", shell, code, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("completion %s lacks %q", shell, w)
			}
		}
	}
	// The scripts call back into herald for the words; those answer.
	_, out, _ := run(t, "__complete", "re")
	for _, w := range []string{"report", "repost"} {
		if !strings.Contains(out, w) {
			t.Errorf("herald __complete re lacks %s:\n%s", w, out)
		}
	}
	_, out, _ = run(t, "__complete", "repost", "--for")
	if !strings.Contains(out, "--format") {
		t.Errorf("flags of repost do not complete:\n%s", out)
	}
}
