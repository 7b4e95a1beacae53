package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// fullDisk is a store that reads but cannot write articles, as on a full disk.
type fullDisk struct{ *sqlite.DB }

func (fullDisk) SaveArticles(context.Context, int64, []herald.ArticleInput, time.Time) ([]herald.SaveResult, error) {
	return nil, errors.New("database or disk is full")
}

// TestReadyzAfterFailedWrite: while store writes fail, /readyz must not
// say ready just because reads still work.
func TestReadyzAfterFailedWrite(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Store = fullDisk{o.Store.(*sqlite.DB)} })
	if code, _, body := get(t, f.ts.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before: %d %s", code, body)
	}
	if code, _ := f.post(t, `{"url":"https://news.example/full","title":"t"}`, nil); code != http.StatusInternalServerError {
		t.Fatalf("webhook on a full disk: %d", code)
	}
	code, _, body := get(t, f.ts.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store write failed") ||
		!strings.Contains(body, "webhook") || !strings.Contains(body, "disk is full") {
		t.Errorf("/readyz after a failed write: %d %s", code, body)
	}
	f.now = f.now.Add(time.Minute)
	if code, _, body := get(t, f.ts.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz a minute later: %d %s", code, body)
	}
}
