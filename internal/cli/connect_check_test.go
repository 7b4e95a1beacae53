package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
)

// TestAccountsCheckSaysWhatToFix: for each way credentials go wrong,
// `herald accounts check` names the problem and the fix (golden files).
func TestAccountsCheckSaysWhatToFix(t *testing.T) {
	clearEnv(t)
	x, xs := emulator.StartX(emulator.XOptions{})
	t.Cleanup(xs.Close)
	x.AddUser(emulator.XUser{ID: "11", Username: "revoked_news", ConsumerKey: "ck-1", ConsumerSecret: "cs-1",
		AccessToken: "11-at", AccessTokenSecret: "ats-1"})
	x.AddUser(emulator.XUser{ID: "12", Username: "daily_news", ConsumerKey: "ck-2", ConsumerSecret: "cs-2",
		AccessToken: "12-at", AccessTokenSecret: "ats-2"})
	emulatortest.ExpireUser(x, "11")

	g, gs := emulator.StartGraph(emulator.GraphOptions{})
	t.Cleanup(gs.Close)
	g.AddPage(emulator.GraphPage{ID: "990001", Name: "Daily News", AccessToken: "page-no-post", AppID: "app-1",
		AppSecret: "app-secret-1", Scopes: []string{"pages_show_list", "pages_read_engagement"}})
	g.AddPage(emulator.GraphPage{ID: "990002", Name: "Weekend Edition", AccessToken: "page-expired", AppID: "app-1",
		AppSecret: "app-secret-1", ExpiresAt: time.Now().Add(-time.Hour)})

	m, ms := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(ms.Close)
	m.AddAccount(emulator.MastodonAccount{ID: "7", Username: "newsroom", Token: "read-only", Scopes: []string{"read"}})

	cfg := writeConfig(t, `
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  x_revoked: {network: twitter, api_base_url: "`+xs.URL+`", consumer_key: ck-1, consumer_secret: cs-1, access_token: 11-at, access_token_secret: ats-1}
  x_secret: {network: twitter, api_base_url: "`+xs.URL+`", consumer_key: ck-2, consumer_secret: wrong, access_token: 12-at, access_token_secret: ats-2}
  fb_noperm: {network: facebook, graph_base_url: "`+gs.URL+`", page_id: "990001", page_access_token: page-no-post, app_id: app-1, app_secret: app-secret-1}
  fb_expired: {network: facebook, graph_base_url: "`+gs.URL+`", page_id: "990002", page_access_token: page-expired, app_id: app-1, app_secret: app-secret-1}
  toot_read: {network: mastodon, instance_url: "`+ms.URL+`", access_token: read-only}
`)
	// What changes from run to run: the emulations' ports and the times.
	stable := strings.NewReplacer(xs.URL, "http://X", gs.URL, "http://GRAPH", ms.URL, "http://MASTODON",
		strings.TrimPrefix(ms.URL, "http://"), "MASTODON")
	traceID := regexp.MustCompile(`fbtrace_id \S+?\]`)
	times := regexp.MustCompile(`(?i)(expired on|current time is) [^.]+?(\.| PDT| PST)`)
	for _, id := range []string{"x_revoked", "x_secret", "fb_noperm", "fb_expired", "toot_read"} {
		code, out, errOut := run(t, "-c", cfg, "accounts", "check", id)
		if code != ExitFailure {
			t.Errorf("%s: exit %d, want 1\n%s%s", id, code, out, errOut)
		}
		got := times.ReplaceAllString(stable.Replace(out), "$1 TIME")
		got = traceID.ReplaceAllString(got, "fbtrace_id TRACE]")
		golden(t, "check/"+id+".golden", got)
	}
}
