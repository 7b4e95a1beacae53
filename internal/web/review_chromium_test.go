package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/heraldhq/herald/internal/herald"
)

// cdp is a DevTools protocol session with one page of a headless Chromium.
type cdp struct {
	t    *testing.T
	ws   *websocket.Conn
	next int
}

// startCDP runs headless chromium with remote debugging on loopback and
// opens a session with its page.
func startCDP(t *testing.T, bin string) *cdp {
	t.Helper()
	profile := chromiumProfile(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--disable-crash-reporter", "--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile,
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "DBUS_SYSTEM_BUS_ADDRESS=disabled:")
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	listening := regexp.MustCompile(`DevTools listening on ws://(127\.0\.0\.1:\d+)/`)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	var host string
	select {
	case host = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not start its DevTools server")
	}
	var targets []struct{ Type, WebSocketDebuggerURL string }
	for range 50 {
		resp, err := http.Get("http://" + host + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil && len(targets) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			ws, err := websocket.Dial(tg.WebSocketDebuggerURL, "", "http://127.0.0.1/")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ws.Close() })
			return &cdp{t: t, ws: ws}
		}
	}
	t.Fatalf("chromium has no page: %+v", targets)
	return nil
}

// call sends a DevTools command and returns its result.
func (c *cdp) call(method string, params any) json.RawMessage {
	c.t.Helper()
	c.next++
	id := c.next
	if err := websocket.JSON.Send(c.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		c.t.Fatal(err)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var msg struct {
			ID     int
			Result json.RawMessage
			Error  *struct{ Message string }
		}
		if err := websocket.JSON.Receive(c.ws, &msg); err != nil {
			c.t.Fatalf("%s: %v", method, err)
		}
		if msg.ID != id {
			continue // an event
		}
		if msg.Error != nil {
			c.t.Fatalf("%s: %s", method, msg.Error.Message)
		}
		return msg.Result
	}
}

// eval evaluates a JavaScript expression in the page and returns its
// value as a string.
func (c *cdp) eval(expr string) string {
	c.t.Helper()
	var r struct{ Result struct{ Value any } }
	if err := json.Unmarshal(c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &r); err != nil {
		c.t.Fatal(err)
	}
	return fmt.Sprint(r.Result.Value)
}

// waitEval waits until expr evaluates to want.
func (c *cdp) waitEval(what, expr, want string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := c.eval(expr)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %q, want %q", what, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestChromiumReviewButtons is issue "newsroom controls" acceptance 2 in
// the dashboard: in headless Chromium, an editor types a new text and
// presses Approve on one held post and Reject on another; the first is
// pending with that text, the second skipped, the third still held.
func TestChromiumReviewButtons(t *testing.T) {
	bin := requireChromium(t)
	f := newDashFixture(t, nil) // loopback, no admin token
	ids := holdStories(f)
	c := startCDP(t, bin)
	c.call("Page.enable", map[string]any{})
	c.call("Page.navigate", map[string]any{"url": f.ts.URL + "/review"})
	ready := `document.readyState + " " + location.pathname + location.search`
	c.waitEval("the review page", ready, "complete /review")

	row := func(id int64) string { return "#post-" + strconv.FormatInt(id, 10) }
	c.eval(`document.querySelector("` + row(ids[0]) + ` form.approve input[name=text]").value = "Typed in Chromium"; ` +
		`document.querySelector("` + row(ids[0]) + ` form.approve button").click(); true`)
	c.waitEval("back on the review page", ready, "complete /review?done=approved-"+strconv.FormatInt(ids[0], 10))
	c.eval(`document.querySelector("` + row(ids[1]) + ` form.reject button").click(); true`)
	c.waitEval("back on the review page", ready, "complete /review?done=rejected-"+strconv.FormatInt(ids[1], 10))
	if got := c.eval(`document.querySelector(".done").textContent`); !strings.Contains(got, "rejected") {
		t.Errorf("status line %q", got)
	}
	if got := c.eval(`document.querySelectorAll("table.review tbody tr").length`); got != "1" {
		t.Errorf("%s held posts listed, want 1", got)
	}

	for i, want := range []struct {
		state herald.JobState
		text  string
	}{{herald.JobPending, "Typed in Chromium"}, {herald.JobSkipped, ""}, {herald.JobHeld, ""}} {
		j, err := f.store.GetJob(f.ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if j.State != want.state || j.Text != want.text {
			t.Errorf("post %d: %s %q, want %s %q", j.ID, j.State, j.Text, want.state, want.text)
		}
	}
}
