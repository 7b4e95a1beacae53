package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's chromium package.
const chromiumPath = "/usr/bin/chromium"

// requireChromium returns chromium's path, or skips the test when it is not
// installed (fails instead when HERALD_REQUIRE_CHROMIUM=1, as in CI).
func requireChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("HERALD_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("HERALD_REQUIRE_CHROMIUM=1 but %s is missing: apt-get install -y chromium", chromiumPath)
		}
		t.Skipf("%s not installed (apt-get install -y chromium); set HERALD_REQUIRE_CHROMIUM=1 to fail instead", chromiumPath)
	}
	return chromiumPath
}

// chromiumProfile returns a fresh profile directory for one chromium,
// removed when the test ends. Chromium's helper processes may still write
// into it for a moment after the browser process has ended, so the removal
// is tried again for a few seconds: t.TempDir's fails the test at the first
// "directory not empty".
func chromiumProfile(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "herald-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("remove chromium's profile: %v", err)
	})
	return dir
}

// chromium runs headless chromium with a fresh profile on args and returns
// its standard output.
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	profile := chromiumProfile(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--disable-crash-reporter", "--hide-scrollbars",
		"--mute-audio", "--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	// No desktop bus in a container: chromium would wait for one.
	cmd.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile,
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "DBUS_SYSTEM_BUS_ADDRESS=disabled:")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, tail(stderr.String(), 2000))
	}
	return stdout.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestChromiumDashboardAndWidget loads the dashboard and the widget, served
// from a real SQLite store whose top story is known, in headless Chromium:
// the top story is shown, the charts render, and a screenshot is taken.
func TestChromiumDashboardAndWidget(t *testing.T) {
	bin := requireChromium(t)
	t.Parallel()
	f := newDashFixture(t, nil) // loopback, no admin token: chromium cannot send headers

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	dom := chromium(t, bin, "--screenshot="+shot, "--window-size=1280,1000", "--dump-dom", f.ts.URL+"/")
	top := section(dom, "top-stories")
	if !strings.Contains(top, topTitle) || strings.Index(top, topTitle) > strings.Index(top, secondTitle) {
		t.Errorf("the top story %q is not shown first:\n%s", topTitle, tail(dom, 4000))
	}
	rects, lines := strings.Count(dom, "<rect"), strings.Count(dom, "<polyline")
	if rects == 0 || lines == 0 || !strings.Contains(dom, "<svg") {
		t.Errorf("charts did not render: %d rect, %d polyline", rects, lines)
	}
	t.Logf("dashboard DOM: %d bytes, %d rect, %d polyline", len(dom), rects, lines)

	checkScreenshot(t, shot, 1280, 1000)
	if dir := os.Getenv("HERALD_SCREENSHOT_DIR"); dir != "" {
		b, err := os.ReadFile(shot)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, "dashboard.png"), b, 0o644))
	}

	dom = chromium(t, bin, "--dump-dom", f.ts.URL+"/widget/popular?network=twitter&limit=5")
	if !strings.Contains(dom, `class="hrld-pop__h">Popular on X<`) || !strings.Contains(dom, topTitle) ||
		strings.Count(dom, `class="hrld-pop__item"`) != 3 {
		t.Errorf("widget:\n%s", dom)
	}
}

// TestChromiumWidgetEmbedded embeds the widget in a page of another origin
// with popular.js, as a newsroom's site would, and checks that the browser
// fills the box (CORS included).
func TestChromiumWidgetEmbedded(t *testing.T) {
	bin := requireChromium(t)
	t.Parallel()
	f := newDashFixture(t, nil)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>News</title></head><body>
<aside id="box" data-herald-popular data-network="facebook" data-limit="2"><p>Loading…</p></aside>
<script src="%s/widget/popular.js"></script></body></html>`, f.ts.URL)
	}))
	t.Cleanup(site.Close)
	dom := chromium(t, bin, "--virtual-time-budget=10000", "--dump-dom", site.URL+"/")
	box := dom[strings.Index(dom, `id="box"`):]
	if !strings.Contains(box, ">Popular on Facebook<") || !strings.Contains(box, topTitle) ||
		strings.Count(box, `class="hrld-pop__item"`) != 2 || strings.Contains(box, "Loading…") {
		t.Errorf("the embedded box was not filled:\n%s", dom)
	}
}

// checkScreenshot checks that path is a PNG of the window's size with
// something drawn on it.
func checkScreenshot(t *testing.T, path string, w, h int) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, st.Size())
	file, err := os.Open(path)
	must(t, err)
	defer file.Close()
	img, err := png.Decode(file)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	if st.Size() < 20<<10 || distinctColours(img, 64) < 16 {
		t.Errorf("screenshot looks blank: %d bytes, %d colours", st.Size(), distinctColours(img, 64))
	}
}

// distinctColours counts the colours of a grid of samples step pixels apart.
func distinctColours(img image.Image, step int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += step / 4 {
		for x := b.Min.X; x < b.Max.X; x += step / 4 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
