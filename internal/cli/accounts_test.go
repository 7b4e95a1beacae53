package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
)

func TestAccountsList(t *testing.T) {
	cfg, db := opsWorld(t, "")
	newsDesk(t, db)
	golden(t, "accounts.golden", ok(t, cfg, "accounts"))
	golden(t, "accounts.json.golden", ok(t, cfg, "accounts", "--format", "json"))
	golden(t, "accounts.csv.golden", ok(t, cfg, "accounts", "list", "--format", "csv"))

	byID := byKey(jsonRows[accountRow](t, ok(t, cfg, "accounts", "--format", "json"), "accounts"), accountID)
	x, fb := byID["x_main"], byID["fb_page"]
	// Month to date: one post with a link and two reads; last month's read is not counted.
	if x.Status != acctHeld || x.SentToday != 1 || x.MonthSpend != 0.21 || x.MonthlyBudget != 5 || x.PendingJobs != 1 ||
		x.HoldUntil == nil || !x.HoldUntil.Equal(opsT0.Add(5*time.Minute)) {
		t.Errorf("x_main %+v", x)
	}
	if fb.Status != acctPaused || !strings.Contains(fb.PauseReason, "code 190") || fb.PendingJobs != 2 ||
		len(fb.Warnings) != 2 || !strings.Contains(fb.Warnings[1], "token expires in 3d") {
		t.Errorf("fb_page %+v", fb)
	}

	// Resume: the pause goes, the jobs stay.
	out := ok(t, cfg, "accounts", "resume", "fb_page")
	if !strings.HasPrefix(out, "Resumed fb_page (was paused: facebook: create post: auth") || !strings.Contains(out, "2 pending jobs") {
		t.Errorf("resume: %q", out)
	}
	ok(t, cfg, "accounts", "resume", "x_main")
	a, err := db.GetAccount(context.Background(), "x_main")
	if err != nil || a.Paused || !a.HoldUntil.IsZero() {
		t.Errorf("x_main after resume: %+v, %v", a, err)
	}
	if out := ok(t, cfg, "accounts", "resume", "fb_page"); out != "fb_page is neither paused nor held: nothing to resume.\n" {
		t.Errorf("second resume: %q", out)
	}
	table := ok(t, cfg, "accounts")
	if strings.Count(table, " ok ") != 2 {
		t.Errorf("after resume:\n%s", table)
	}
	fails(t, cfg, ExitFailure, []string{"accounts", "resume", "x_backup"}, `no account is named "x_backup" (accounts: fb_page, x_main)`)
	fails(t, cfg, ExitUsage, []string{"accounts", "resume"}, "accepts 1 arg")
	fails(t, cfg, ExitUsage, []string{"accounts", "--format", "yaml"}, "--format")
	fails(t, cfg, ExitUsage, []string{"accounts", "nope"}, `unknown command "nope"`)
}

func TestAccountsBudgetAndNotConfigured(t *testing.T) {
	cfg, db := opsWorld(t, "")
	ctx := context.Background()
	// $4.90 spent of $5: the next post with a link ($0.20) would exceed it.
	if _, err := db.RecordCharge(ctx, herald.Charge{Account: "x_main", Kind: herald.CostPostWithLink, Amount: 4_900_000, At: opsT0}); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x_old", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	got := byKey(jsonRows[accountRow](t, ok(t, cfg, "accounts", "--format", "json"), "accounts"), accountID)
	if got["x_main"].Status != acctBudget || got["x_old"].Status != acctNotConfigured || got["fb_page"].Status != acctOK {
		t.Errorf("accounts %+v", got)
	}
	if table := ok(t, cfg, "accounts"); !strings.Contains(table, "$4.90") || !strings.Contains(table, "$5.00") {
		t.Errorf("table:\n%s", table)
	}
}

// liveAccounts starts the X and Graph emulations with two X users and two
// Pages and returns a configuration with their credentials, and the
// secrets that must never be printed.
func liveAccounts(t *testing.T) (x *emulator.X, g *emulator.Graph, cfg string, secrets []string) {
	t.Helper()
	clearEnv(t)
	t.Setenv("COLUMNS", "160")
	x, xsrv := emulator.StartX(emulator.XOptions{})
	t.Cleanup(xsrv.Close)
	g, gsrv := emulator.StartGraph(emulator.GraphOptions{})
	t.Cleanup(gsrv.Close)
	body := "database: {url: \"sqlite:$DIR/herald.db\"}\naccounts:\n"
	for i, name := range []string{"x_ok", "x_revoked"} {
		u := emulator.XUser{ID: fmt.Sprint(1_800_000_001 + i), Username: "herald_" + name, ConsumerKey: "ck-" + name,
			ConsumerSecret: "cs-secret-" + name, AccessToken: "at-secret-" + name, AccessTokenSecret: "ats-secret-" + name}
		x.AddUser(u)
		secrets = append(secrets, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret)
		body += fmt.Sprintf("  %s: {network: twitter, api_base_url: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}\n",
			name, xsrv.URL, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret)
	}
	for i, name := range []string{"fb_ok", "fb_expired"} {
		p := emulator.GraphPage{ID: fmt.Sprint(990_000_000_000_101 + i), Name: "Daily " + name, AccessToken: "page-secret-" + name,
			AppID: fmt.Sprint(880_000_000_000_101 + i), AppSecret: "app-secret-" + name,
			ExpiresAt: time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)}
		g.AddPage(p)
		secrets = append(secrets, p.AccessToken, p.AppSecret)
		body += fmt.Sprintf("  %s: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q, app_id: %q, app_secret: %q}\n",
			name, gsrv.URL+"/", p.ID, p.AccessToken, p.AppID, p.AppSecret)
	}
	return x, g, writeConfig(t, body), secrets
}

func TestAccountsCheckAgainstTheEmulations(t *testing.T) {
	x, g, cfg, secrets := liveAccounts(t)
	emulatortest.ExpireUser(x, "1800000002")
	emulatortest.ExpirePage(g, "990000000000102")

	code, out, errOut := run(t, "-c", cfg, "accounts", "check", "--format", "json")
	if code != ExitFailure || !strings.Contains(errOut, "2 of 4 accounts failed the check") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	got := byKey(jsonRows[checkRow](t, out, "checks"), func(r checkRow) string { return r.Account })
	if r := got["x_ok"]; !r.OK || r.UserID != "1800000001" || r.Name != "@herald_x_ok" || r.Error != "" {
		t.Errorf("x_ok %+v", r)
	}
	if r := got["fb_ok"]; !r.OK || r.UserID != "990000000000101" || r.Name != "Daily fb_ok" || r.ExpiresAt == nil ||
		r.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour {
		t.Errorf("fb_ok %+v", r)
	}
	if r := got["x_revoked"]; r.OK || r.ErrorKind != string(herald.ErrAuth) || !strings.Contains(r.Error, "401") {
		t.Errorf("x_revoked %+v", r)
	}
	if r := got["fb_expired"]; r.OK || r.ErrorKind != string(herald.ErrAuth) || !strings.Contains(r.Error, "code 190") {
		t.Errorf("fb_expired %+v", r)
	}

	// The table says the same, and nothing anywhere shows a secret.
	code, table, errTable := run(t, "-c", cfg, "accounts", "check")
	if code != ExitFailure {
		t.Errorf("table: exit %d", code)
	}
	lines := map[string]string{}
	for l := range strings.Lines(table) {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for name, want := range map[string][]string{
		"x_ok": {" ok ", "@herald_x_ok (1800000001)", "never"}, "fb_ok": {" ok ", "Daily fb_ok (990000000000101)", "in 29d 23h"},
		"x_revoked": {"failed: auth", "HTTP 401"}, "fb_expired": {"failed: auth", "code 190"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[name], w) {
				t.Errorf("%s line lacks %q:\n%s", name, w, table)
			}
		}
	}
	for _, s := range secrets {
		for what, text := range map[string]string{"json": out, "json stderr": errOut, "table": table, "table stderr": errTable} {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, text)
			}
		}
	}

	// The Page token's expiry is recorded for herald accounts.
	for _, a := range jsonRows[accountRow](t, ok(t, cfg, "accounts", "--format", "json"), "accounts") {
		if (a.ID == "fb_ok") != (a.TokenExpiresAt != nil) {
			t.Errorf("%s token expiry %v", a.ID, a.TokenExpiresAt)
		}
	}

	// One account alone; all well: exit 0.
	if out := ok(t, cfg, "accounts", "check", "x_ok"); !strings.Contains(out, "@herald_x_ok") || strings.Contains(out, "fb_ok") {
		t.Errorf("check x_ok:\n%s", out)
	}
	// An account that does not exist: a failure, exit 1, like "not found" everywhere.
	fails(t, cfg, ExitFailure, []string{"accounts", "check", "x_nobody"}, `check: no account is named "x_nobody"`)
}

// accountID keys accountRows for byKey.
func accountID(r accountRow) string { return r.ID }
