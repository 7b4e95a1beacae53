package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckReportsEveryProblemAtOnce checks that one run of herald
// config check names the unknown keys, the values of the wrong type and the
// values that do not validate together (once three rounds of fixing), and
// suggests the account a target misspells.
func TestConfigCheckReportsEveryProblemAtOnce(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
publsh: {backfill: 3}
ranking: {collect_interval: 2 minutes}
sources:
  - {name: a, url: "https://e.com/a", targets: [x_mian], interval: 0s}
accounts:
  x_main: {network: twitter, api: v9, consumer_key: k, consumer_secret: s, access_token: t, access_token_secret: u}
`)
	code, out, errOut := run(t, "--config", path, "config", "check")
	if code != ExitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	golden(t, "config-check-problems.golden", strings.ReplaceAll(errOut, filepath.Dir(path), "DIR"))
}
