package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium with a fresh profile and returns a
// context that drives it over the DevTools protocol.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	profile := chromiumProfile(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-crash-reporter", true),
		chromedp.Env("HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile,
			"DBUS_SESSION_BUS_ADDRESS=disabled:", "DBUS_SYSTEM_BUS_ADDRESS=disabled:"))
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 90*time.Second)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// TestChromiumLoginAndLogout logs in to the dashboard the way an editor
// does: the browser is sent to the login form, the admin token is typed in,
// the dashboard shows, and the logout button leads back to the form. The
// pages keep Referrer-Policy: no-referrer, so the browser posts the forms
// with "Origin: null".
func TestChromiumLoginAndLogout(t *testing.T) {
	bin := requireChromium(t)
	f := tokenFixture(t, "http://herald.example")
	ctx := browser(t, bin)

	run := func(steps ...chromedp.Action[chromedp.Void]) (loc, body string) {
		t.Helper()
		// Each step list navigates: wait for the page it leads to.
		_, err := chromedp.RunResponse(ctx, steps...)
		must(t, err)
		loc, err = chromedp.Run(ctx, chromedp.Location())
		must(t, err)
		body, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		must(t, err)
		return loc, body
	}
	loc, _ := run(chromedp.Navigate(f.ts.URL + "/?since=7d"))
	if !strings.Contains(loc, "/login?next=") {
		t.Fatalf("without a session the browser is at %s, want the login form", loc)
	}
	loc, body := run(chromedp.SendKeys(chromedp.ID("token"), adminToken),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	if !strings.HasSuffix(loc, "/?since=7d") || !strings.Contains(body, topTitle) || !strings.Contains(body, "Log out") {
		t.Fatalf("after logging in the browser is at %s:\n%s", loc, tail(body, 2000))
	}
	loc, body = run(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	if !strings.Contains(loc, "/login") || !strings.Contains(body, "Admin token") {
		t.Fatalf("after logging out the browser is at %s:\n%s", loc, tail(body, 2000))
	}
	// The session is over: the dashboard asks for the token again.
	loc, _ = run(chromedp.Navigate(f.ts.URL + "/"))
	if !strings.Contains(loc, "/login") {
		t.Errorf("after logout the dashboard is at %s, want the login form", loc)
	}
}
