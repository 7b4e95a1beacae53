package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
)

func TestWarnIdle(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	warnIdle(&config.Config{File: "elsewhere/herald.yaml"}, log)
	if out := logs.String(); !strings.Contains(out, "level=WARN msg=\"NO SOURCES") || !strings.Contains(out, "level=WARN msg=\"NO ACCOUNTS") ||
		!strings.Contains(out, "config=elsewhere/herald.yaml") {
		t.Errorf("no loud warning:\n%s", out)
	}
	logs.Reset()
	warnIdle(&config.Config{Sources: []config.Source{{Name: "a"}}, Accounts: map[string]config.Account{"x": {}}}, log)
	if logs.Len() != 0 {
		t.Errorf("warned with sources and accounts:\n%s", logs.String())
	}
}
