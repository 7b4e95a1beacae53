package cli

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/herald"
)

// previewConfig gives the X account hashtags and UTM tags, the Page a
// template of its own.
const previewConfig = `
database: {url: "sqlite:$DIR/herald.db"}
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x_main, fb_page]}
accounts:
  x_main: {network: twitter, api_base_url: "http://127.0.0.1:9", consumer_key: ck, consumer_secret: cs-secret,
    access_token: at-secret, access_token_secret: ats-secret, hashtags: 2, utm: {source: twitter, medium: social}}
  fb_page: {network: facebook, graph_base_url: "http://127.0.0.1:9/", page_id: "123", page_access_token: page-secret,
    template: "{{.Title}}\n\n{{.Summary}}"}
`

func TestPreviewFromFlags(t *testing.T) {
	cfg, _ := opsWorld(t, previewConfig)
	title := "Amazon.com opens a depot in Riverton 📦"
	out := ok(t, cfg, "preview", "--title", title, "--link", "https://Example.com/depot?utm_source=rss&id=2", "--summary", "Jobs for 300.")
	golden(t, "preview.golden", out)
	text := title + " https://example.com/depot?id=2&utm_source=twitter&utm_medium=social"
	if !strings.Contains(out, "\n  "+text+"\n") {
		t.Errorf("the X post is not shown verbatim:\n%s", out)
	}
	// "Amazon.com" is a URL to X: 23, like the link.
	if n := compose.WeightedLength(text); !strings.Contains(out, "x_main (twitter)  "+itoa(n)+"/280") || n != 23+len(" opens a depot in Riverton ")+2+1+23 {
		t.Errorf("X length %d not shown:\n%s", n, out)
	}
	if !strings.Contains(out, "  Amazon.com opens a depot in Riverton 📦\n\n  Jobs for 300.\n  link: https://example.com/depot?id=2\n") {
		t.Errorf("the Page's post:\n%s", out)
	}

	// One account, JSON, a hand-written text, the repost template.
	var res previewResult
	js := ok(t, cfg, "preview", "--account", "x_main", "--title", "T", "--link", "https://example.com/t", "--text", "Read this", "--format", "json")
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Posts) != 1 || res.Posts[0].Text != "Read this https://example.com/t?utm_source=twitter&utm_medium=social" ||
		res.Posts[0].Length != 33 || res.Posts[0].Limit != 280 || res.Article.From != "flags" {
		t.Errorf("%+v", res)
	}
	if out := ok(t, cfg, "preview", "--account", "x_main", "--title", "T", "--link", "https://example.com/t", "--repost"); !strings.Contains(out, "  ICYMI: T https://") {
		t.Errorf("repost:\n%s", out)
	}

	// A post that cannot fit: shown with the reason, exit 1.
	out, errOut := fails(t, cfg, ExitFailure, []string{"preview", "--account", "x_main", "--title", "T", "--link", "https://example.com/t",
		"--text", strings.Repeat("long ", 60)}, "1 of 1 posts could not be composed")
	if !strings.Contains(out, "would be skipped: too long") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	refusesUsage(t, cfg, "preview", []usageCase{
		{[]string{}, "--url or both --title and --link"},
		{[]string{"--title", "T"}, "--url or both --title and --link"},
		{[]string{"--url", "https://example.com/a", "--title", "T", "--link", "https://example.com/a"}, "--url"},
		{[]string{"--title", "T", "--link", "example.com/t"}, "--link"},
		{[]string{"--title", "T", "--link", "https://example.com/t", "--format", "csv"}, "--format"},
		{[]string{"--title", "T", "--link", "https://example.com/t", "--text", "x", "--repost"}, "--text"},
		{[]string{"--url", "not a url"}, "--url"},
	})
	fails(t, cfg, ExitFailure, []string{"preview", "--title", "T", "--link", "https://example.com/t", "--account", "x_backup"},
		`--account: no account is named "x_backup"`)
}

func TestPreviewFromURL(t *testing.T) {
	base := pageServer(t)
	cfg, db := opsWorld(t, previewConfig)
	// Herald knows this one (as its feed gave it).
	saveArticles(t, db, "world", opsT0.Add(-time.Hour), nil, herald.ArticleInput{
		URL: "https://example.com/known", Title: "Known story", Summary: "As recorded.", Categories: []string{"local news"}})
	var res previewResult
	js := ok(t, cfg, "preview", "--url", "https://example.com/known?utm_campaign=x#top", "--format", "json")
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	if res.Article.From != "herald" || res.Article.ID != 1 || len(res.Posts) != 2 ||
		res.Posts[1].Text != "Known story https://example.com/known?utm_source=twitter&utm_medium=social #LocalNews" ||
		res.Posts[0].Text != "Known story\n\nAs recorded." || res.Posts[0].Link != "https://example.com/known" {
		t.Errorf("known article: %s", js)
	}
	// Not known: read from its page (after a redirect), and nothing is stored.
	out := ok(t, cfg, "preview", "--url", base+"/amp/storm", "--account", "x_main")
	want := "Storm & floods hit the coast " + base + "/news/storm?id=7&utm_source=twitter&utm_medium=social #Storms #Coast"
	if !strings.Contains(out, "(read from its page)") || !strings.Contains(out, "\n  "+want+"\n") {
		t.Errorf("page article:\n%s\nwant %q", out, want)
	}
	if arts, err := db.ListArticles(t.Context(), herald.ArticleFilter{}); err != nil || len(arts) != 1 {
		t.Errorf("preview stored an article: %d, %v", len(arts), err)
	}
	fails(t, cfg, ExitFailure, []string{"preview", "--url", base + "/missing"}, "HTTP 404")
	fails(t, cfg, ExitFailure, []string{"preview", "--url", base + "/untitled"}, "no <title>")
}

func itoa(n int) string { return strconv.Itoa(n) }
