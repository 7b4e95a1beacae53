package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinaryExitStatus builds the real binary and checks that the process
// exits with the documented statuses.
func TestBinaryExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sources:\n  - {name: a, url: \"https://e.com/a\", interval: 2 minutes, targets: [x]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"nope"}, 2, `herald: unknown command "nope"`},
		{[]string{"--config", bad, "config", "check"}, 2, "sources[0].interval: must be a duration"},
		{[]string{"--config", filepath.Join(dir, "none.yaml"), "config", "check"}, 2, "none.yaml: no such file"},
		{[]string{"completion", "tcsh"}, 2, `no script for the shell "tcsh"`},
		{[]string{"status"}, 3, "herald: the daemon is not running: no database at data/herald.db"},
		{[]string{"report"}, 1, "herald: no database at data/herald.db"},
		{[]string{"preview", "--account", "nobody", "--title", "T", "--link", "https://e.com/a"}, 1, `no account is named "nobody"`},
	} {
		cmd := exec.Command(bin, tt.args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("herald %s: exit %d, want %d; stderr %q, want %q",
				strings.Join(tt.args, " "), code, tt.code, stderr.String(), tt.stderr)
		}
	}
}

// buildBinary builds the herald binary into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
