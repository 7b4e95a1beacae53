package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// TestWebhookOlderEditNotApplied: edits of one article arriving out of
// order (each a fresh signed request, so no replay) never put an older
// headline back: the answer says the older edit was not applied; an equal
// or later updated_at applies, and an edit without one applies as before.
func TestWebhookOlderEditNotApplied(t *testing.T) {
	f := newFixture(t, nil)
	const url = "https://news.example/mexico/edited"
	edit := func(title, updatedAt string) string {
		body := `{"url":"` + url + `","title":"` + title + `"`
		if updatedAt != "" {
			body += `,"updated_at":"` + updatedAt + `"`
		}
		return body + `}`
	}
	send := func(what, body string) answerArticle {
		t.Helper()
		f.now = f.now.Add(time.Second)
		code, m := f.post(t, body, nil)
		if code != http.StatusAccepted {
			t.Fatalf("%s: status %d %v, want 202", what, code, m)
		}
		return decodeAnswer(t, m).Articles[0]
	}
	stored := func(what, want string) {
		t.Helper()
		art, err := f.store.FindArticle(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if art.Title != want {
			t.Errorf("%s: stored title %q, want %q", what, art.Title, want)
		}
	}

	newer := send("newer edit", edit("Newer headline", "2026-03-01T11:50:00Z"))
	if !newer.New || newer.EditSkipped != "" {
		t.Fatalf("newer edit answer %+v", newer)
	}
	older := send("older edit", edit("Older headline", "2026-03-01T11:40:00+00:00"))
	if older.ID != newer.ID || older.Updated || !strings.HasPrefix(older.EditSkipped, herald.SkipStaleEdit+": ") ||
		!strings.Contains(older.EditSkipped, "2026-03-01T11:50:00Z") {
		t.Errorf("older edit answer %+v, want not updated, edit_skipped naming the stored edit time", older)
	}
	stored("after the older edit", "Newer headline")

	// In one array too, whatever the order.
	code, m := f.post(t, `[`+edit("Later headline", "2026-03-01T11:55:00Z")+`,`+edit("Old again", "2026-03-01T11:45:00Z")+`]`, nil)
	if code != http.StatusAccepted {
		t.Fatalf("array: %d %v", code, m)
	}
	if a := decodeAnswer(t, m).Articles; !a[0].Updated || a[0].EditSkipped != "" || a[1].Updated || a[1].EditSkipped == "" {
		t.Errorf("array answer %+v, want the first applied and the second skipped", a)
	}
	stored("after the array", "Later headline")

	if same := send("same updated_at", edit("Corrected headline", "2026-03-01T11:55:00Z")); !same.Updated || same.EditSkipped != "" {
		t.Errorf("an edit with the stored updated_at: %+v, want applied", same)
	}
	stored("after an edit at the same time", "Corrected headline")
	if undated := send("no updated_at", edit("Undated headline", "")); !undated.Updated || undated.EditSkipped != "" {
		t.Errorf("an edit without updated_at: %+v, want applied as before", undated)
	}
	stored("after an edit without updated_at", "Undated headline")
	if late := send("older than the stored edit", edit("Stale headline", "2026-03-01T11:54:59Z")); late.EditSkipped == "" {
		t.Errorf("an edit older than the stored updated_at: %+v, want skipped", late)
	}
	stored("after another older edit", "Undated headline")
}
