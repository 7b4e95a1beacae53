package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

const sourcesConfig = `
sandbox: true
database: {url: "sqlite:$DIR/herald.db"}
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x_main], websub: true}
  - {name: sports, url: "https://example.com/sports.xml", targets: [x_main]}
accounts:
  x_main: {network: twitter, consumer_key: ck, consumer_secret: file-secret-1}
`

func TestSourcesShowsPushState(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, sourcesConfig)
	// A command that only reads never creates the database.
	dbPath := strings.TrimSuffix(path, "herald.yaml") + "herald.db"
	if code, _, errOut := run(t, "-c", path, "sources"); code != ExitFailure || !strings.Contains(errOut, "no database at "+dbPath) {
		t.Errorf("sources without a database: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("sources created the database: %v", err)
	}
	if code, _, errOut := run(t, "-c", path, "migrate"); code != ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "-c", path, "sources"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}

	// What the webhook and the WebSub subscriber leave in the store.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, strings.TrimSuffix(path, "herald.yaml")+"herald.db")
	if err != nil {
		t.Fatal(err)
	}
	world, err := db.GetSource(ctx, "world")
	if err != nil {
		t.Fatal(err)
	}
	lease := time.Now().Add(240 * time.Hour).UTC().Truncate(time.Millisecond)
	const secret = "websub-secret-never-shown"
	if err := db.SetPush(ctx, world.ID, herald.PushState{HubURL: "https://hub.example/", State: "active",
		Secret: secret, LeaseUntil: lease}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PushSource(ctx, "webhook"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := run(t, "-c", path, "sources", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := jsonRows[sourceRow](t, out, "sources")
	got := byKey(rows, func(r sourceRow) string { return r.Name })
	if len(rows) != 3 || got["webhook"].FedBy != "webhook" || got["sports"].FedBy != "polling" || got["world"].FedBy != "websub" {
		t.Fatalf("rows %+v", rows)
	}
	if w := got["world"]; !w.WebSub || w.HubURL != "https://hub.example/" || w.PushState != "active" ||
		w.LeaseUntil == nil || !w.LeaseUntil.Equal(lease) {
		t.Errorf("world %+v", w)
	}

	code, table, _ := run(t, "-c", path, "sources")
	if code != ExitOK || !strings.Contains(table, "websub") || !strings.Contains(table, "https://hub.example/") ||
		!strings.Contains(table, "in 9d 23h") {
		t.Errorf("table:\n%s", table)
	}
	if strings.Contains(out, secret) || strings.Contains(table, secret) {
		t.Error("the subscription secret is shown")
	}
	if code, _, _ := run(t, "-c", path, "sources", "--format", "xml"); code != ExitUsage {
		t.Errorf("--format xml: exit %d, want %d", code, ExitUsage)
	}
}
