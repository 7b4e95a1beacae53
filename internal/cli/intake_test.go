package cli

import (
	"strings"
	"testing"
)

// TestBadFilterPatternIsAUsageError checks that a filter pattern that is no
// RE2 expression stops every command with exit 2, naming its key.
func TestBadFilterPatternIsAUsageError(t *testing.T) {
	clearEnv(t)
	cfg := writeConfig(t, `
sandbox: true
database: {url: "sqlite:$DIR/data/herald.db"}
sources:
  - name: world
    url: "https://example.com/world.xml"
    targets: [{account: x_main, exclude: {title: ["(?P<open"]}}]
accounts:
  x_main: {network: twitter}
`)
	for _, args := range [][]string{{"config", "check"}, {"queue"}} {
		code, _, errOut := run(t, append([]string{"-c", cfg}, args...)...)
		if code != ExitUsage || !strings.Contains(errOut, "sources[0].targets[0].exclude.title[0]: must be an RE2 regular expression") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestQueueRetryFloodUsage checks the usage errors of queue retry --flood.
func TestQueueRetryFloodUsage(t *testing.T) {
	clearEnv(t)
	cfg := writeConfig(t, validConfig)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "retry", "--flood", "world", "--failed"}, "not both"},
		{[]string{"queue", "retry", "--flood", "world", "7"}, "not both"},
		{[]string{"queue", "retry", "--flood", ""}, "--flood: give the source"},
		{[]string{"queue", "retry", "--flood", "nosuch"}, `--flood: no source is named "nosuch"`},
	} {
		code, _, errOut := run(t, append([]string{"-c", cfg}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
	code, out, errOut := run(t, "-c", cfg, "queue", "retry", "--flood", "world")
	if code != ExitOK || out != "No posts of world skipped by the flood limit: nothing to release.\n" {
		t.Errorf("nothing to release: exit %d, %q %q", code, out, errOut)
	}
}
