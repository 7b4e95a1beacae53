package cli

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// connectWorld is an X emulation with an app and a signed-in user, a
// configuration whose x_main has the app's client ID and no credentials, and
// the herald binary that runs against them.
type connectWorld struct {
	bin  string
	x    *emulator.X
	url  string
	cfg  string
	db   string
	port int
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newConnectWorld clears the HERALD_* variables and sets up a connectWorld.
func newConnectWorld(t *testing.T) *connectWorld {
	t.Helper()
	clearEnv(t)
	x, srv := emulator.StartX(emulator.XOptions{})
	t.Cleanup(srv.Close)
	w := &connectWorld{bin: buildHerald(t), x: x, url: srv.URL, port: freePort(t)}
	x.AddUser(emulator.XUser{ID: "4242", Username: "daily_news"})
	x.SignIn("4242")
	x.AddApp(emulator.XApp{ClientID: "client-1", ConsumerKey: "ck-1", ConsumerSecret: "cs-1",
		CallbackURLs: []string{"http://127.0.0.1:" + strconv.Itoa(w.port) + "/callback"}})
	w.cfg = writeConfig(t, `
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  x_main:
    network: twitter
    api_base_url: "`+srv.URL+`"
    client_id: client-1
    consumer_key: ck-1
    consumer_secret: cs-1
`)
	w.db = filepath.Join(filepath.Dir(w.cfg), "herald.db")
	return w
}

var authorizeURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/(i/oauth2|oauth)/authorize\?\S+`)

// authorizeIn returns the authorize URL the terminal shows.
func authorizeIn(t *testing.T, term *terminal) string {
	t.Helper()
	u := authorizeURL.FindString(term.output())
	if u == "" {
		t.Fatalf("no authorize URL shown:\n%s", term.output())
	}
	return u
}

// visitAuthorize opens the authorize URL the terminal shows, as the user's
// browser would, and returns the page. No connection is kept: the next
// command's callback server may take the port of this one's.
func visitAuthorize(t *testing.T, term *terminal) string {
	t.Helper()
	browser := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := browser.Get(authorizeIn(t, term))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return string(page)
}

// pasteShown types into the terminal the code (what) the authorize page
// shows, re's first group, as a user copying it.
func pasteShown(t *testing.T, term *terminal, re *regexp.Regexp, what string) {
	t.Helper()
	page := visitAuthorize(t, term)
	code := re.FindStringSubmatch(page)
	if code == nil {
		t.Fatalf("the authorize page shows no %s:\n%s", what, page)
	}
	term.typeKeys(code[1] + "\r")
}

// succeeds waits for the command on the terminal to end and fails the test
// (naming it what) unless it exits 0.
func (term *terminal) succeeds(t *testing.T, what string) {
	t.Helper()
	if rc := term.exit(); rc != ExitOK {
		t.Fatalf("%s: exit %d\n%s", what, rc, term.output())
	}
}

// approve opens the authorize URL as a browser whose user clicks
// "Authorize app" and returns where X redirects it, without following.
func approve(t *testing.T, authorize string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize page: HTTP %d, no redirect", resp.StatusCode)
	}
	return loc
}

// storedCredentials returns what the database holds for x_main.
func (w *connectWorld) stored(t *testing.T) (herald.Credentials, error) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), w.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db.LoadCredentials(t.Context(), "x_main")
}

func (w *connectWorld) connect(t *testing.T, args ...string) *terminal {
	return startTerminal(t, w.bin, append([]string{"-c", w.cfg, "accounts", "connect", "x_main",
		"--port", strconv.Itoa(w.port)}, args...)...)
}

// postWith sends a post through the built binary and checks that X got it
// from the connected user.
func (w *connectWorld) postWith(t *testing.T) {
	t.Helper()
	before := len(w.x.PostsByUser("4242"))
	cmd := exec.Command(w.bin, "-c", w.cfg, "post", "--account", "x_main", "--link", "https://example.com/news/"+strconv.Itoa(before),
		"--title", "Connected "+strconv.Itoa(before))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("herald post: %v\n%s", err, out)
	}
	if n := len(w.x.PostsByUser("4242")); n != before+1 {
		t.Fatalf("X holds %d posts of the connected user, want %d", n, before+1)
	}
}

func TestConnectXOAuth2(t *testing.T) {
	w := newConnectWorld(t)

	// --manual: the user pastes the URL the browser was sent to.
	term := w.connect(t, "--manual")
	term.waitFor("Paste the URL")
	auth := authorizeIn(t, term)
	q, _ := url.ParseQuery(strings.SplitN(auth, "?", 2)[1])
	if q.Get("code_challenge_method") != "S256" || q.Get("scope") != "tweet.read tweet.write users.read offline.access" {
		t.Errorf("authorize URL = %s", auth)
	}
	if strings.Contains(term.output(), "code_verifier") {
		t.Error("the verifier was shown")
	}
	loc := approve(t, auth)
	term.typeKeys(loc.String() + "\r")
	term.succeeds(t, "connect --manual")
	if out := term.output(); !strings.Contains(out, "Connected x_main (twitter @daily_news) with oauth2") {
		t.Errorf("connect --manual:\n%s", out)
	}
	cr, err := w.stored(t)
	if err != nil || cr.Method != "oauth2" || cr.Public["user_id"] != "4242" {
		t.Fatalf("stored = %+v, %v", cr, err)
	}
	w.postWith(t)

	// Loopback: Herald catches the redirect itself.
	term = w.connect(t)
	term.waitFor("Waiting for X")
	visitAuthorize(t, term)
	term.succeeds(t, "connect (loopback)")
	w.postWith(t)

	// Disconnect revokes the tokens and forgets them.
	cmd := exec.Command(w.bin, "-c", w.cfg, "accounts", "disconnect", "x_main")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "revoked and forgotten") {
		t.Fatalf("disconnect: %v\n%s", err, out)
	}
	if _, err := w.stored(t); err == nil {
		t.Error("credentials still stored after disconnect")
	}
}

// TestConnectXOAuth2Refusals: a wrong state, a code already used and a
// code issued for another PKCE challenge each fail clearly and store nothing.
func TestConnectXOAuth2Refusals(t *testing.T) {
	w := newConnectWorld(t)

	refused := func(name string, tamper func(auth string) string, want string) {
		t.Helper()
		term := w.connect(t, "--manual")
		term.waitFor("Paste the URL")
		term.typeKeys(tamper(authorizeIn(t, term)) + "\r")
		if code := term.exit(); code == ExitOK {
			t.Fatalf("%s: connect succeeded\n%s", name, term.output())
		}
		if out := term.output(); !strings.Contains(out, want) {
			t.Errorf("%s: the error does not say %q:\n%s", name, want, out)
		}
		if _, err := w.stored(t); err == nil {
			t.Errorf("%s: credentials were stored", name)
		}
	}
	refused("wrong state", func(auth string) string {
		loc := approve(t, auth)
		v := loc.Query()
		v.Set("state", "forged")
		loc.RawQuery = v.Encode()
		return loc.String()
	}, "state does not match")

	var spent string
	refused("wrong verifier", func(auth string) string {
		u, _ := url.Parse(auth)
		v := u.Query()
		v.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
		u.RawQuery = v.Encode()
		loc := approve(t, u.String())
		spent = loc.Query().Get("code")
		return loc.String()
	}, "code verifier did not match")

	refused("reused code", func(auth string) string {
		loc := approve(t, auth)
		v := loc.Query()
		v.Set("code", spent)
		loc.RawQuery = v.Encode()
		return loc.String()
	}, "authorization code was invalid")
}

// runHerald runs the built binary and returns its combined output.
func runHerald(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var oauthCode = regexp.MustCompile(`class="oauth-code" readonly type="text" value="([^"]+)"`)

func TestConnectMastodon(t *testing.T) {
	clearEnv(t)
	bin := buildHerald(t)
	m, srv := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(srv.Close)
	m.AddAccount(emulator.MastodonAccount{ID: "777", Username: "newsroom", Token: "unrelated"})
	m.SignIn("777")
	port := freePort(t)
	cfg := writeConfig(t, `
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  toot: {network: mastodon, instance_url: "`+srv.URL+`"}
`)
	post := func(n int) {
		t.Helper()
		runHerald(t, bin, "-c", cfg, "post", "--account", "toot", "--link", "https://example.com/m/"+strconv.Itoa(n), "--title", "Toot "+strconv.Itoa(n))
		if got := len(m.Posts()); got != n {
			t.Fatalf("the instance holds %d statuses, want %d", got, n)
		}
	}

	// Out of band: the instance shows the code, the user pastes it.
	term := startTerminal(t, bin, "-c", cfg, "accounts", "connect", "toot", "--manual")
	term.waitFor("Paste the authorization code")
	pasteShown(t, term, oauthCode, "code")
	term.succeeds(t, "connect --manual")
	if out := term.output(); !strings.Contains(out, "Connected toot (mastodon @newsroom") {
		t.Errorf("connect --manual:\n%s", out)
	}
	post(1)

	// Loopback: the app registered above allows no loopback redirect, so
	// another is registered.
	term = startTerminal(t, bin, "-c", cfg, "accounts", "connect", "toot", "--port", strconv.Itoa(port))
	term.waitFor("Waiting for the instance")
	visitAuthorize(t, term)
	term.succeeds(t, "connect")
	post(2)

	// Connecting again reuses the app registered for the loopback redirect.
	apps := func() (n int) {
		for _, r := range m.Requests() {
			if r.Route == "POST /api/v1/apps" {
				n++
			}
		}
		return n
	}
	before := apps()
	term = startTerminal(t, bin, "-c", cfg, "accounts", "connect", "toot", "--port", strconv.Itoa(port))
	term.waitFor("Waiting for the instance")
	visitAuthorize(t, term)
	term.succeeds(t, "connect again")
	if n := apps(); n != before {
		t.Errorf("connecting again registered %d more apps, want the stored one reused", n-before)
	}

	if out := runHerald(t, bin, "-c", cfg, "accounts", "disconnect", "toot"); !strings.Contains(out, "revoked and forgotten") {
		t.Errorf("disconnect: %s", out)
	}
}

func TestConnectBluesky(t *testing.T) {
	clearEnv(t)
	bin := buildHerald(t)
	b, srv := emulator.StartBluesky(emulator.BlueskyOptions{})
	t.Cleanup(srv.Close)
	b.AddAccount(emulator.BlueskyAccount{DID: "did:plc:newsroom1", Handle: "news.example.com", AppPassword: "abcd-efgh-ijkl-mnop"})
	cfg := writeConfig(t, `
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  sky: {network: bluesky, pds_url: "`+srv.URL+`"}
`)
	term := startTerminal(t, bin, "-c", cfg, "accounts", "connect", "sky")
	term.waitFor("Bluesky handle")
	term.typeKeys("news.example.com\r")
	term.waitFor("App password")
	term.waitNoEcho()
	term.typeKeys("abcd-efgh-ijkl-mnop\r")
	term.succeeds(t, "connect")
	out := term.output()
	if !strings.Contains(out, "Connected sky (bluesky @news.example.com) with app_password") {
		t.Errorf("connect:\n%s", out)
	}
	if strings.Contains(out, "abcd-efgh") {
		t.Errorf("the app password was echoed:\n%s", out)
	}
	runHerald(t, bin, "-c", cfg, "post", "--account", "sky", "--link", "https://example.com/b/1", "--title", "Sky 1")
	if n := len(b.Posts()); n != 1 {
		t.Fatalf("the PDS holds %d posts, want 1", n)
	}

	// A wrong app password stores nothing.
	if out := runHerald(t, bin, "-c", cfg, "accounts", "disconnect", "sky"); !strings.Contains(out, "forgotten") {
		t.Errorf("disconnect: %s", out)
	}
	cmd := exec.Command(bin, "-c", cfg, "accounts", "connect", "sky", "--handle", "news.example.com")
	cmd.Env = append(cmd.Environ(), "HERALD_BLUESKY_APP_PASSWORD=wrong")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "is the app password right?") {
		t.Errorf("wrong app password: %v\n%s", err, out)
	}
}

var pinCode = regexp.MustCompile(`<code>(\d+)</code>`)

func TestConnectXOAuth1PIN(t *testing.T) {
	w := newConnectWorld(t)
	term := w.connect(t, "--oauth1")
	term.waitFor("PIN: ")
	pasteShown(t, term, pinCode, "PIN")
	term.succeeds(t, "connect --oauth1")
	if out := term.output(); !strings.Contains(out, "Connected x_main (twitter @daily_news) with oauth1") {
		t.Errorf("connect --oauth1:\n%s", out)
	}
	w.postWith(t)
	if out := runHerald(t, w.bin, "-c", w.cfg, "accounts"); !strings.Contains(out, "connected") {
		t.Errorf("herald accounts does not say the credentials are connected:\n%s", out)
	}

	// A wrong PIN is refused, and nothing changes.
	term = w.connect(t, "--oauth1")
	term.waitFor("PIN: ")
	term.typeKeys("0000000\r")
	if rc := term.exit(); rc == ExitOK || !strings.Contains(term.output(), "is the PIN right?") {
		t.Errorf("wrong PIN: exit %d\n%s", rc, term.output())
	}
}

var dialogURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/v[0-9.]+/dialog/oauth\?\S+`)

func TestConnectFacebookPage(t *testing.T) {
	clearEnv(t)
	bin := buildHerald(t)
	g, srv := emulator.StartGraph(emulator.GraphOptions{})
	t.Cleanup(srv.Close)
	port := freePort(t)
	g.AddPage(emulator.GraphPage{ID: "990001", Name: "Daily News", AccessToken: "unrelated-1"})
	g.AddPage(emulator.GraphPage{ID: "990002", Name: "Weekend Edition", AccessToken: "unrelated-2"})
	g.AddApp(emulator.GraphApp{ID: "app-1", Secret: "app-secret-1",
		RedirectURIs: []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/callback"}})
	g.AddUser(emulator.GraphUser{ID: "u-1", Name: "Editor", Pages: []string{"990001", "990002"}})
	g.SignIn("u-1")
	cfg := writeConfig(t, `
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  fb_page: {network: facebook, graph_base_url: "`+srv.URL+`", app_id: app-1, app_secret: app-secret-1}
`)
	post := func(n int, page string) {
		t.Helper()
		runHerald(t, bin, "-c", cfg, "post", "--account", "fb_page", "--link", "https://example.com/f/"+strconv.Itoa(n), "--title", "Page "+strconv.Itoa(n))
		if got := len(g.PostsByPage(page)); got != 1 {
			t.Fatalf("page %s holds %d posts, want 1", page, got)
		}
	}

	// The login dialog with --manual, the Page named by --page.
	term := startTerminal(t, bin, "-c", cfg, "accounts", "connect", "fb_page", "--manual", "--port", strconv.Itoa(port),
		"--page", "Daily News")
	term.waitFor("Paste the URL")
	u := dialogURL.FindString(term.output())
	if u == "" || !strings.Contains(u, "pages_manage_posts") {
		t.Fatalf("no login dialog URL with pages_manage_posts:\n%s", term.output())
	}
	term.typeKeys(approve(t, u).String() + "\r")
	term.succeeds(t, "connect")
	if out := term.output(); !strings.Contains(out, "Connected fb_page (facebook Daily News) with page") ||
		!strings.Contains(out, "they do not expire") {
		t.Errorf("connect:\n%s", out)
	}
	post(1, "990001")

	// A user token from the Graph API Explorer, the Page chosen at a prompt.
	term = startTerminal(t, bin, "-c", cfg, "accounts", "connect", "fb_page", "--user-token", g.UserToken("u-1", "app-1", false))
	term.waitFor("Page to post as (number): ")
	term.typeKeys("2\r")
	term.succeeds(t, "connect --user-token")
	post(2, "990002")
}

// TestConnectInSandbox: with the shipped sandbox configuration, a newcomer
// connects x_main against the in-process emulation and sees a token stored.
func TestConnectInSandbox(t *testing.T) {
	clearEnv(t)
	bin := buildHerald(t)
	cfg := writeConfig(t, `
sandbox: true
database: {url: "sqlite:$DIR/herald.db"}
accounts:
  x_main: {network: twitter}
  fb_page: {network: facebook}
`)
	term := startTerminal(t, bin, "-c", cfg, "accounts", "connect", "x_main", "--port", strconv.Itoa(freePort(t)))
	term.waitFor("Waiting for X")
	visitAuthorize(t, term) // the sandbox approves, as after a click
	term.succeeds(t, "connect in the sandbox")
	db, err := sqlite.Open(t.Context(), filepath.Join(filepath.Dir(cfg), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tok, err := db.LoadToken(t.Context(), "x_main"); err != nil || tok.RefreshToken == "" {
		t.Fatalf("stored token = %+v, %v", tok, err)
	}
}
