package compose

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/heraldhq/herald/internal/herald"
)

const storyURL = "https://www.example.com/mexico/2026/05/story-123.html"

func mustNew(t testing.TB, o Options) *Composer {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkPost asserts the invariants of every X post: within 280, the link
// whole, valid UTF-8, and the title either whole or a prefix cut at a
// grapheme boundary and ended with "…".
func checkPost(t *testing.T, m herald.Message, title, link string) {
	t.Helper()
	if n := WeightedLength(m.Text); n > MaxTweetLength {
		t.Errorf("weighted length %d > %d: %q", n, MaxTweetLength, m.Text)
	}
	if !strings.Contains(m.Text, link) {
		t.Errorf("link %q cut or missing in %q", link, m.Text)
	}
	if !utf8.ValidString(m.Text) {
		t.Errorf("invalid UTF-8 in %q", m.Text)
	}
	if m.Link != link {
		t.Errorf("Link = %q, want %q", m.Link, link)
	}
	if strings.HasPrefix(m.Text, title) {
		return
	}
	cut, _, ok := strings.Cut(m.Text, ellipsis)
	if !ok || !strings.HasPrefix(title, cut) || cut == "" {
		t.Fatalf("text %q does not start with the title or a shortened title", m.Text)
	}
	if !isGraphemeBoundary(title, len(cut)) {
		t.Errorf("title cut inside a grapheme cluster at %d: %q", len(cut), cut)
	}
}

func isGraphemeBoundary(s string, at int) bool {
	state, pos := -1, 0
	for rest := s; rest != "" && pos < at; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(g)
	}
	return pos == at
}

func TestComposeX(t *testing.T) {
	spanish := "Peña Nieto y Videgaray: la Secretaría de Hacienda anuncia recortes al gasto público " +
		"por 175 mil millones de pesos; la oposición pide explicaciones sobre el impacto en educación, " +
		"salud y programas sociales, mientras los mercados reaccionan con cautela y el peso se deprecia frente al dólar"
	cjk := strings.Repeat("東京都知事選挙の結果が発表されました", 12)
	family := "👨‍👩‍👧‍👦"
	emoji := strings.Repeat("Familia "+family+" y 🏳️‍🌈 ", 20)
	entities := "Peña Nieto &amp; Videgaray: &quot;no hay crisis&quot; &#8212; " + strings.Repeat("análisis económico ", 14)
	longURL := "https://www.example.com/" + strings.Repeat("a/", 1000) + "story.html"

	c := mustNew(t, Options{Network: herald.Twitter})
	tests := []struct {
		name, title, url string
		want             string // exact text, when it matters
		shortened        bool
	}{
		{name: "fits", title: "Sismo de 5.2 sacude Oaxaca", url: storyURL,
			want: "Sismo de 5.2 sacude Oaxaca " + storyURL},
		{name: "spanish", title: spanish, url: storyURL, shortened: true},
		{name: "cjk", title: cjk, url: storyURL, shortened: true},
		{name: "emoji zwj", title: emoji, url: storyURL, shortened: true},
		{name: "entities", title: entities, url: storyURL, shortened: true},
		{name: "very long url", title: "Corte avala reforma", url: longURL, want: "Corte avala reforma " + longURL},
		{name: "long url and long title", title: spanish, url: longURL, shortened: true},
		{name: "bare domain in title", title: strings.Repeat("Amazon.com ", 30), url: storyURL, shortened: true},
		{name: "one long word", title: strings.Repeat("Donaudampfschifffahrt", 20), url: storyURL, shortened: true},
		{name: "empty title", title: "", url: storyURL, want: storyURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := c.Compose(herald.Article{URL: tt.url, Title: tt.title}, ComposeJob{})
			if err != nil {
				t.Fatal(err)
			}
			title := plain(tt.title)
			checkPost(t, m, title, tt.url)
			if tt.want != "" && m.Text != tt.want {
				t.Errorf("text %q, want %q", m.Text, tt.want)
			}
			if got := strings.Contains(m.Text, ellipsis); got != tt.shortened {
				t.Errorf("shortened = %v, want %v: %q", got, tt.shortened, m.Text)
			}
			if tt.shortened && WeightedLength(m.Text) < MaxTweetLength-30 {
				t.Errorf("shortened more than needed (%d): %q", WeightedLength(m.Text), m.Text)
			}
		})
	}
}

func TestComposeShortensAtWordBoundary(t *testing.T) {
	c := mustNew(t, Options{Network: herald.Twitter})
	title := "Peña Nieto &amp; Videgaray " + strings.Repeat("reforma hacendaria ", 20)
	m, err := c.Compose(herald.Article{URL: storyURL, Title: title}, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	cut, _, _ := strings.Cut(m.Text, ellipsis)
	if !strings.HasPrefix(cut, "Peña Nieto & Videgaray reforma") {
		t.Errorf("entities not decoded: %q", cut)
	}
	if !strings.HasSuffix(cut, "reforma") && !strings.HasSuffix(cut, "hacendaria") {
		t.Errorf("cut inside a word: %q", cut)
	}
	if want := ellipsis + " " + storyURL; !strings.HasSuffix(m.Text, want) {
		t.Errorf("text %q does not end with %q", m.Text, want)
	}
}

func TestComposeCJKFillsTheLimit(t *testing.T) {
	c := mustNew(t, Options{Network: herald.Twitter})
	title := strings.Repeat("故", 200)
	m, err := c.Compose(herald.Article{URL: storyURL, Title: title}, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	// 280 = 127 ideographs (2 each) + "…" (2) + space + URL (23).
	if want := strings.Repeat("故", 127) + ellipsis + " " + storyURL; m.Text != want {
		t.Errorf("text %q (weighted %d), want %q", m.Text, WeightedLength(m.Text), want)
	}
}

func TestComposeTooLong(t *testing.T) {
	c := mustNew(t, Options{Network: herald.Twitter})
	// A loopback link is not a URL to X: it counts character by character.
	link := "http://127.0.0.1:8080/" + strings.Repeat("x", 300)
	_, err := c.Compose(herald.Article{URL: link, Title: "Hola mundo"}, ComposeJob{})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	var he *herald.Error
	if !errors.As(err, &he) || he.Kind != herald.ErrPermanent || he.Network != herald.Twitter {
		t.Errorf("err = %#v, want a permanent *herald.Error for twitter", err)
	}
	if !strings.Contains(err.Error(), "too long") {
		t.Errorf("error %q does not say why", err)
	}

	// A hand-written text is never shortened.
	_, err = c.Compose(herald.Article{URL: storyURL}, ComposeJob{Text: strings.Repeat("palabra ", 40)})
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("long hand-written text: err = %v, want ErrTooLong", err)
	}
}

func TestComposeHashtags(t *testing.T) {
	cats := []string{"world news", "Economía", "WORLD NEWS", "2024", "U.S. politics", "sports"}
	c := mustNew(t, Options{Network: herald.Twitter, Hashtags: 3})
	tests := []struct {
		name, title string
		want        string
	}{
		{"all fit", "Short title", "Short title " + storyURL + " #WorldNews #Economía #USPolitics"},
		// 280 - 23 - 1 - 11 (" #WorldNews") = 245: the first tag fits, the second not.
		{"one fits", strings.Repeat("a", 245), strings.Repeat("a", 245) + " " + storyURL + " #WorldNews"},
		{"none fit", strings.Repeat("a", 250), strings.Repeat("a", 250) + " " + storyURL},
		{"already in title", "#WorldNews today", "#WorldNews today " + storyURL + " #Economía #USPolitics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := c.Compose(herald.Article{URL: storyURL, Title: tt.title, Categories: cats}, ComposeJob{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.want {
				t.Errorf("text %q, want %q", m.Text, tt.want)
			}
			checkPost(t, m, tt.title, storyURL)
		})
	}

	// A title that must be shortened leaves no room for hashtags.
	m, err := c.Compose(herald.Article{URL: storyURL, Title: strings.Repeat("palabra ", 50), Categories: cats}, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "#") {
		t.Errorf("hashtags added to a shortened post: %q", m.Text)
	}

	// In the template.
	ct := mustNew(t, Options{Network: herald.Twitter, Hashtags: 2, Template: "{{.Title}} {{.Hashtags}}\n{{.URL}}"})
	m, err = ct.Compose(herald.Article{URL: storyURL, Title: "Hola", Categories: cats}, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hola #WorldNews #Economía\n" + storyURL; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
	m, err = ct.Compose(herald.Article{URL: storyURL, Title: strings.Repeat("b", 245), Categories: cats}, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("b", 245) + " #WorldNews\n" + storyURL; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
}

func TestComposeTemplates(t *testing.T) {
	a := herald.Article{URL: storyURL, Title: "Título", Summary: "Resumen &amp; más", Section: "mexico",
		Author: "Ana Pérez"}
	tests := []struct {
		name string
		o    Options
		j    ComposeJob
		want string
	}{
		{"default", Options{Network: herald.Twitter}, ComposeJob{}, "Título " + storyURL},
		{"all fields", Options{Network: herald.Twitter, Template: "[{{.Section}}] {{.Title}} — {{.Summary}} ({{.Author}}) {{.URL}}"},
			ComposeJob{}, "[mexico] Título — Resumen & más (Ana Pérez) " + storyURL},
		{"empty field leaves no double space", Options{Network: herald.Twitter, Template: "{{.Title}} {{.Hashtags}} {{.URL}}"},
			ComposeJob{}, "Título " + storyURL},
		{"repost", Options{Network: herald.Twitter}, ComposeJob{Repost: true}, "ICYMI: Título " + storyURL},
		{"repost template", Options{Network: herald.Twitter, RepostTemplate: "Again: {{.Title}} {{.URL}}"},
			ComposeJob{Repost: true}, "Again: Título " + storyURL},
		{"job template", Options{Network: herald.Twitter}, ComposeJob{Template: "Now: {{.Title}} {{.URL}}"},
			"Now: Título " + storyURL},
		{"job text", Options{Network: herald.Twitter}, ComposeJob{Text: "Still true today"},
			"Still true today " + storyURL},
		{"job text with the link", Options{Network: herald.Twitter}, ComposeJob{Text: "Read " + storyURL + " now"},
			"Read " + storyURL + " now"},
		{"job text with the untagged link", Options{Network: herald.Twitter, UTM: UTM{Source: "x"}},
			ComposeJob{Text: "Read " + storyURL + " now"}, "Read " + storyURL + " now"},
		{"job text with the link, http and a slash", Options{Network: herald.Bluesky, UTM: UTM{Source: "bsky"}},
			ComposeJob{Text: "Read http://example.com/mexico/2026/05/story-123.html/"}, "Read http://example.com/mexico/2026/05/story-123.html/"},
		{"job text with the link and a short link on", Options{Network: herald.Twitter},
			ComposeJob{Text: "Read " + storyURL, ShortURL: "https://herald.example/s/abc"}, "Read " + storyURL},
		{"job text with another link", Options{Network: herald.Twitter, UTM: UTM{Source: "x"}},
			ComposeJob{Text: "See https://www.example.com/mexico/other"}, "See https://www.example.com/mexico/other " + storyURL + "?utm_source=x"},
		{"short link", Options{Network: herald.Twitter, UTM: UTM{Source: "x"}},
			ComposeJob{ShortURL: "https://herald.example/s/abc"}, "Título https://herald.example/s/abc"},
		{"utm", Options{Network: herald.Twitter, UTM: UTM{Source: "x", Medium: "social", Campaign: "auto post"}},
			ComposeJob{}, "Título " + storyURL + "?utm_source=x&utm_medium=social&utm_campaign=auto+post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mustNew(t, tt.o).Compose(a, tt.j)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.want {
				t.Errorf("text %q, want %q", m.Text, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Network: herald.Twitter, Template: "{{.Title"}, "template"},
		{Options{Network: herald.Twitter, Template: "{{.Titel}} {{.URL}}"}, "Titel"},
		{Options{Network: herald.Twitter, Template: "{{upper .Title}}"}, "upper"},
		{Options{Network: herald.Twitter, RepostTemplate: "{{if .Title}}"}, "repost_template"},
		{Options{Network: "myspace"}, "unknown network"},
		{Options{Network: herald.Twitter, Hashtags: -1}, "hashtags"},
	}
	for _, tt := range tests {
		_, err := New(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %q", tt.o, err, tt.want)
		}
	}

	c := mustNew(t, Options{Network: herald.Twitter})
	_, err := c.Compose(herald.Article{URL: storyURL, Title: "x"}, ComposeJob{Template: "{{.Nope}}"})
	var he *herald.Error
	if !errors.As(err, &he) || he.Kind != herald.ErrPermanent || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("bad job template: err = %v, want a permanent error naming the field", err)
	}
}

func TestComposeSummaryShortenedFirst(t *testing.T) {
	c := mustNew(t, Options{Network: herald.Twitter, Template: "{{.Title}}: {{.Summary}} {{.URL}}"})
	a := herald.Article{URL: storyURL, Title: "Reforma aprobada", Summary: strings.Repeat("detalle importante ", 30)}
	m, err := c.Compose(a, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Reforma aprobada: detalle importante") || !strings.Contains(m.Text, ellipsis+" "+storyURL) {
		t.Errorf("text %q: want the whole title and a shortened summary", m.Text)
	}
	checkPost(t, m, "Reforma aprobada", storyURL)
}

func TestComposeFacebook(t *testing.T) {
	c := mustNew(t, Options{Network: herald.Facebook, Hashtags: 1, UTM: UTM{Source: "facebook", Medium: "social"}})
	title := strings.Repeat("Peña Nieto &amp; Videgaray ", 40) // 1,000+ characters: no 280 limit here
	a := herald.Article{URL: storyURL + "?id=7#top", Title: title, Summary: "Resumen", ImageURL: "https://img.example/a.jpg",
		Categories: []string{"política"}}
	m, err := c.Compose(a, ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	if want := plain(title) + " #Política"; m.Text != want {
		t.Errorf("message %q, want %q", m.Text, want)
	}
	if want := storyURL + "?id=7&utm_source=facebook&utm_medium=social#top"; m.Link != want {
		t.Errorf("link %q, want %q", m.Link, want)
	}
	if m.Description != "Resumen" || m.ImageURL != a.ImageURL || m.Title != plain(title) {
		t.Errorf("card fields: %+v", m)
	}
	if m, _ := c.Compose(a, ComposeJob{Text: "Hand-written"}); m.Text != "Hand-written" {
		t.Errorf("Facebook text %q: the link goes apart, not in the message", m.Text)
	}
	if c.Limit() != MaxFacebookLength {
		t.Errorf("limit %d", c.Limit())
	}
}

func TestComposeOtherNetworks(t *testing.T) {
	title := strings.Repeat("Noticia 👨‍👩‍👧 ", 60)
	for _, tt := range []struct {
		network herald.Network
		limit   int
	}{{herald.Mastodon, MaxMastodonLength}, {herald.Bluesky, MaxBlueskyLength}} {
		c := mustNew(t, Options{Network: tt.network})
		m, err := c.Compose(herald.Article{URL: storyURL, Title: title}, ComposeJob{})
		if err != nil {
			t.Fatal(err)
		}
		if n := c.Length(m.Text); n > tt.limit || n < tt.limit-20 || !strings.HasSuffix(m.Text, ellipsis+" "+storyURL) {
			t.Errorf("%s: length %d (limit %d): %q", tt.network, n, tt.limit, m.Text)
		}
	}
	// Mastodon counts a link as 23, Bluesky as its characters.
	if n := mastodonLength("a " + storyURL); n != 25 {
		t.Errorf("mastodon length %d, want 25", n)
	}
	if n := mustNew(t, Options{Network: herald.Bluesky}).Length("a " + storyURL); n != 2+len(storyURL) {
		t.Errorf("bluesky length %d", n)
	}
}

func TestFromJob(t *testing.T) {
	j := &herald.Job{Kind: herald.KindRepost, Template: "T", Text: "X", ShortCode: "ab12"}
	got := FromJob(j, "https://herald.example/")
	want := ComposeJob{Template: "T", Text: "X", Repost: true, ShortURL: "https://herald.example/s/ab12"}
	if got != want {
		t.Errorf("FromJob = %+v, want %+v", got, want)
	}
	if got := FromJob(j, ""); got.ShortURL != "" {
		t.Errorf("short link without shortlinks: %q", got.ShortURL)
	}
}
