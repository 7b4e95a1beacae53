package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreCopyRefusesADatabaseInUse(t *testing.T) {
	clearEnv(t)
	db := filepath.Join(t.TempDir(), "herald.db")
	code, _, errOut := run(t, "store", "copy", "--from", "sqlite:"+db, "--to", "postgres://127.0.0.1:1/none")
	if code != ExitFailure || strings.Contains(errOut, "daemon") {
		t.Fatalf("no daemon: exit %d, %s", code, errOut)
	}
	release, err := markDaemon("sqlite:" + db)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	code, _, errOut = run(t, "store", "copy", "--from", "sqlite:"+db, "--to", "postgres://127.0.0.1:1/none")
	if code != ExitFailure || !strings.Contains(errOut, "a daemon (herald run) is using it") {
		t.Errorf("daemon running: exit %d, %s", code, errOut)
	}
	release()
	if inUse, known, err := daemonUses("sqlite:" + db); inUse || !known || err != nil {
		t.Errorf("after release: in use %v, known %v, %v", inUse, known, err)
	}
}
