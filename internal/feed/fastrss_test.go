package feed

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gofeedParse is what parse does without the fast path.
func gofeedParse(body []byte) (any, error) {
	return parser.Parse(bytes.NewReader(body))
}

// prepared is the body as parse hands it to the parsers.
func prepared(body []byte) []byte {
	return toUTF8(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), "")
}

// sameAsGofeed checks that the fast path, if it takes body, gives what
// gofeed gives; it reports whether it took it.
func sameAsGofeed(t *testing.T, body []byte) bool {
	t.Helper()
	fast, ok := parseRSS(body)
	if !ok {
		return false
	}
	slow, err := gofeedParse(body)
	if err != nil {
		t.Fatalf("fast path took a feed gofeed refuses (%v):\n%s", err, body)
	}
	if !reflect.DeepEqual(any(fast), slow) {
		fj, _ := json.MarshalIndent(fast, "", " ")
		sj, _ := json.MarshalIndent(slow, "", " ")
		t.Fatalf("fast path differs from gofeed on\n%s\nfast:\n%s\ngofeed:\n%s", body, fj, sj)
	}
	return true
}

// TestFastRSSMatchesGofeed runs the fast path and gofeed on the test feeds
// and on thousands of generated ones, plain and odd: wherever the fast path
// takes a feed, the two must agree exactly. It must take the plain ones.
func TestFastRSSMatchesGofeed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "feeds", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("test feeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		took := sameAsGofeed(t, prepared(b))
		if base := filepath.Base(name); (base == "rss20.xml" || base == "sample.xml") && !took {
			t.Errorf("fast path declined %s", base)
		}
	}
	var bench bytes.Buffer
	benchFeeds{items: 50}.render(&bench, "7")
	if !sameAsGofeed(t, bench.Bytes()) {
		t.Error("fast path declined the benchmark's feed")
	}

	n, took := 4000, 0
	if testing.Short() {
		n = 500
	}
	for seed := range uint64(n) {
		g := feedGen{rnd: rand.New(rand.NewPCG(seed, 11))}
		if sameAsGofeed(t, prepared(g.feed())) {
			took++
		}
	}
	t.Logf("fast path took %d of %d generated feeds", took, n)
	if took < n/5 {
		t.Errorf("fast path took only %d of %d generated feeds", took, n)
	}
}

// FuzzFastRSS checks the fast path against gofeed on arbitrary bodies.
func FuzzFastRSS(f *testing.F) {
	for _, name := range []string{"rss20.xml", "sample.xml", "rss091.xml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "feeds", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for seed := range uint64(20) {
		g := feedGen{rnd: rand.New(rand.NewPCG(seed, 11))}
		f.Add(g.feed())
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsGofeed(t, prepared(body))
	})
}

// feedGen writes random RSS feeds: mostly the plain kind the fast path is
// for, with the odd things feeds do sprinkled in.
type feedGen struct {
	rnd *rand.Rand
	b   strings.Builder
}

func (g *feedGen) pick(options ...string) string { return options[g.rnd.IntN(len(options))] }

func (g *feedGen) maybe(p float64) bool { return g.rnd.Float64() < p }

func (g *feedGen) feed() []byte {
	g.b.Reset()
	if g.maybe(odd) {
		g.b.WriteString(g.pick(`<?xml version="1.1" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="ISO-8859-1"?>`,
			"<!DOCTYPE rss>\n", "<!-- a -- b -->", `<?xml encoding="UTF-8" version="1.0"?>`))
	}
	g.b.WriteString(g.pick("", "", `<?xml version="1.0" encoding="UTF-8"?>`+"\n", `<?xml version="1.0" encoding="utf-8"?>`,
		`<?xml version='1.0' encoding='UTF-8' standalone="yes"?>`+"\n", `<?xml version="1.0"?>`,
		"\n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>"))
	g.b.WriteString(g.pick("", "", "", "<!-- generated -->\n", `<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>`+"\n",
		"<?xml-stylesheet href=\"a\tb\n\"?>"))
	g.b.WriteString(`<rss version="` + g.pick("2.0", "2.0", "0.92", "") + `"`)
	for _, ns := range []string{
		`xmlns:atom="http://www.w3.org/2005/Atom"`, `xmlns:dc="http://purl.org/dc/elements/1.1/"`,
		`xmlns:content="http://purl.org/rss/1.0/modules/content/"`, `xmlns:media="http://search.yahoo.com/mrss/"`,
		`xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd"`, `xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"`,
		`xmlns:slash="http://purl.org/rss/1.0/modules/slash/"`, `xmlns:wfw="http://wellformedweb.org/commentAPI/"`,
	} {
		if !g.maybe(odd) {
			g.b.WriteString(g.pick(" ", "\n  ") + ns)
		}
	}
	if g.maybe(odd) {
		g.b.WriteString(g.pick(` xmlns="http://backend.userland.com/rss2"`, ` xml:base="https://news.example/x/"`,
			` xmlns:x="https://unknown.example/ns"`, ` xmlns:dcx="http://purl.org/dc/elements/1.1/"`, ` xml:lang="en"`))
	}
	g.b.WriteString(">\n" + g.pick("<channel>", "<channel>", "<channel >") + "\n")
	g.channelChildren()
	g.b.WriteString("</channel>" + g.pick("", "\n") + "</rss>" + g.pick("", "\n", "\n<!-- end -->\n"))
	if g.maybe(odd) {
		g.b.WriteString("garbage")
	}
	return []byte(g.b.String())
}

func (g *feedGen) el(name, text string) {
	attrs := ""
	if g.maybe(0.05) {
		attrs = g.pick(` type="html"`, ` xml:lang="es"`, ` href="https://x.example/a b"`, " title=\"a\tb\nc\"")
	}
	if text == "" && g.maybe(0.3) {
		g.b.WriteString("<" + name + attrs + "/>")
		return
	}
	g.b.WriteString("<" + name + attrs + ">" + text + "</" + name + g.pick(">", ">", " >") + "\n")
}

// odd is how often a value is one the fast path may decline.
const odd = 0.02

func (g *feedGen) text() string {
	if g.maybe(odd) {
		return g.pick("&nbsp;nbsp", "R&D", "a ]]> b", "&#0;", "<b>raw</b>", "x <!-- c --> y", "&#xD800;", "&#x;",
			"&AMP;", "line\r\nbreak", "tab\x01ctl", "&#xFFFE;")
	}
	return g.pick("Plain title", "  padded\ttext  ", "A &amp; B", "&lt;b&gt;bold&lt;/b&gt; claim",
		"caf&#233; &#x263A;", "5 &gt; 4 &quot;q&quot; &apos;a&apos;", "&#65;&#x42;&#0067;", "&#128; &#150;",
		"<![CDATA[<p>Para &amp; <em>graph</em></p>]]>", "pre <![CDATA[mid]]> post &amp; more",
		" <![CDATA[ only ]]> ", "", "Ñandú – “quotes” — 日本", "line\nbreak", "Tom &amp;amp; Jerry",
		"<![CDATA[a]]>b<![CDATA[c]]>", "<![CDATA[]]>", "&#59;&#38;amp;", "<![CDATA[x ]]]]><![CDATA[> y]]>")
}

func (g *feedGen) url() string {
	if g.maybe(odd) {
		return g.pick("http://[::1", "<![CDATA[https://news.example/c?x=1&y=2]]>")
	}
	return g.pick("https://news.example/story-1", "https://news.example/a?utm_source=rss&amp;id=7#top",
		"/relative/path", "  https://news.example/padded  ", "https://news.example/a b",
		"https://NEWS.example:443/x", "")
}

func (g *feedGen) date() string {
	t := time.Date(2026, time.Month(1+g.rnd.IntN(12)), 1+g.rnd.IntN(28), g.rnd.IntN(24), g.rnd.IntN(60), g.rnd.IntN(60), 0,
		time.FixedZone("", (g.rnd.IntN(27)-13)*1800))
	if g.maybe(odd * 3) {
		return g.pick(strings.Replace(t.UTC().Format(time.RFC1123), "GMT", "UTC", 1), t.Format(time.RFC3339),
			t.Format("Mon, 2 Jan 2006 15:04:05 -0700"), strings.Replace(t.UTC().Format(time.RFC1123), "GMT", "EST", 1),
			"yesterday", t.Format(time.RFC1123Z)+" GMT", t.Format("Mon, 02 Jan 2006 15:04 -0700"),
			strings.Replace(t.Format(time.RFC1123Z), t.Format("Mon"), "Xyz", 1))
	}
	return g.pick(t.Format(time.RFC1123Z), t.Format(time.RFC1123Z), t.UTC().Format(time.RFC1123),
		" "+t.Format(time.RFC1123Z)+"\n", "")
}

func (g *feedGen) comment() {
	if g.maybe(0.05) {
		g.b.WriteString(g.pick("<!-- note -->", "\n\t"))
	}
	if g.maybe(odd) {
		g.b.WriteString(g.pick("<?pi x?>", "stray text", "<![CDATA[x]]>"))
	}
}

func (g *feedGen) channelChildren() {
	var parts []func()
	add := func(p float64, f func()) {
		if g.maybe(p) {
			parts = append(parts, f)
		}
	}
	add(0.9, func() { g.el(g.pick("title", "title", "Title"), g.text()) })
	add(0.9, func() { g.el("link", g.url()) })
	add(0.7, func() { g.el("description", g.text()) })
	add(0.4, func() { g.el("language", g.pick("en-us", "es")) })
	add(0.3, func() { g.el(g.pick("lastBuildDate", "pubDate"), g.date()) })
	add(0.3, func() { g.el("generator", "WordPress") })
	add(0.2, func() { g.el("ttl", "60") })
	add(0.2, func() { g.el(g.pick("managingEditor", "webMaster", "copyright"), g.text()) })
	add(0.2, func() { g.el("category", g.text()) })
	add(0.6, func() {
		g.b.WriteString(`<atom:link rel="` + g.pick("self", "hub", "alternate", "") + `" href="` +
			g.pick("https://news.example/feed", " https://hub.example/", "/feed.xml", "https://x.example/a b", "%zz", "HTTPS://X.example/%7e") +
			`" type="application/rss+xml"` + g.pick("/>", "></atom:link>") + "\n")
	})
	add(0.3, func() { g.el("sy:updatePeriod", g.pick("hourly", " hourly ", "a &amp; b")) })
	add(0.2, func() {
		g.b.WriteString("<image><url>https://news.example/logo.png</url><title>" + g.text() + "</title><link>" +
			g.url() + "</link>" + g.pick("", "<width>88</width>", "<height>31</height><description>d</description>") + "</image>\n")
	})
	add(odd, func() {
		g.b.WriteString(g.pick("<cloud domain=\"x\"/>", "<skipHours><hour>1</hour></skipHours>", "<unknown>x</unknown>",
			"<x:y>z</x:y>", "<dc:creator>Ed</dc:creator>", `<media:thumbnail url="https://i.example/t.jpg"/>`,
			"<itunes:author>Pod</itunes:author>", "<textInput><title>t</title></textInput>"))
	})
	for range g.rnd.IntN(6) {
		parts = append(parts, g.item)
	}
	g.rnd.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for _, p := range parts {
		g.comment()
		p()
	}
}

func (g *feedGen) item() {
	name := g.pick("item", "item", "item", "Item")
	if g.maybe(0.05) {
		g.b.WriteString("<" + name + "/>\n")
		return
	}
	g.b.WriteString("<" + name + ">\n")
	var parts []func()
	add := func(p float64, f func()) {
		if g.maybe(p) {
			parts = append(parts, f)
		}
	}
	add(0.9, func() { g.el(g.pick("title", "title", "TITLE"), g.text()) })
	add(0.9, func() { g.el("link", g.url()) })
	add(0.1, func() { g.el("link", g.url()) })
	add(0.8, func() {
		g.b.WriteString("<guid" + g.pick("", ` isPermaLink="false"`, ` isPermaLink="true"`, ` isPermalink="false"`) + ">" +
			g.pick("g-1", "https://news.example/g", " g 2 ", "a &amp; b", "") + "</guid>\n")
	})
	add(0.8, func() { g.el(g.pick("pubDate", "pubDate", "pubdate"), g.date()) })
	add(0.4, func() {
		g.el("dc:creator", g.pick("Staff Writer", "  Ana  ", "A &amp; B", "<![CDATA[Ed]]>", "x &#233;", "R&D"))
	})
	add(0.1, func() {
		g.el("dc:date", g.pick("2026-11-28T12:00:00Z", "2026-11-28T12:00:00-06:00", "garbage", "Sat, 28 Nov 2026 12:00:00 EST"))
	})
	add(0.2, func() { g.el("author", g.pick("desk@news.example (Desk)", "Ana", g.text())) })
	add(0.6, func() {
		for range g.rnd.IntN(4) {
			if g.maybe(0.2) {
				g.b.WriteString(`<category domain="` + g.pick("x", "a&amp;b", "") + `">` + g.text() + "</category>\n")
			} else {
				g.el("category", g.pick("Local", "Politics", g.text()))
			}
		}
	})
	add(0.8, func() { g.el("description", g.text()) })
	add(0.3, func() { g.el("content:encoded", g.text()) })
	add(0.2, func() {
		g.b.WriteString(`<media:content url="https://img.example/a.jpg?x=1&amp;y=2" medium="image"` +
			g.pick("/>", "></media:content>", "><media:title>T &amp; t</media:title>\n<media:credit role=\"x\">C</media:credit></media:content>",
				"> text <![CDATA[cd]]> <!-- c --> more </media:content>") + "\n")
	})
	add(0.1, func() {
		g.b.WriteString(`<enclosure url="https://img.example/e.jpg" length="10" type="` + g.pick("image/jpeg", "audio/mpeg") + `"` +
			g.pick("/>", "></enclosure>", "> </enclosure>") + "\n")
	})
	add(0.1, func() { g.el("comments", g.url()) })
	add(0.05, func() { g.b.WriteString(`<source url="https://src.example/rss">Src &amp; co</source>`) })
	add(0.1, func() { g.b.WriteString(`<itunes:image href="` + g.pick("https://i.example/p.jpg", " /p.jpg") + `"/>`) })
	add(0.05, func() { g.b.WriteString(`<atom:link href="/a b" rel="alternate"/>`) })
	add(0.1, func() { g.el(g.pick("slash:comments", "wfw:commentRss"), g.pick("3", "https://news.example/c")) })
	add(odd, func() {
		g.b.WriteString(g.pick("<encoded>x</encoded>", "<foo>bar</foo>", "<x:y>z</x:y>", "<dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">E</dc:creator>",
			`<title xml:base="https://b.example/">T</title>`, "<content:encoded><p>raw</p></content:encoded>"))
	})
	g.rnd.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for _, p := range parts {
		g.comment()
		p()
	}
	if g.maybe(odd) {
		name = "ITEM" // gofeed takes a mismatched end tag
	}
	g.b.WriteString("</" + name + ">\n")
}

// TestFastRSSGenerator makes sure the generator's feeds are mostly well
// formed enough for gofeed, so that the comparison means something.
func TestFastRSSGenerator(t *testing.T) {
	ok := 0
	for seed := range uint64(300) {
		g := feedGen{rnd: rand.New(rand.NewPCG(seed, 11))}
		if _, err := gofeedParse(prepared(g.feed())); err == nil {
			ok++
		}
	}
	if ok < 150 {
		t.Errorf("gofeed parsed only %d of 300 generated feeds", ok)
	}
}

// BenchmarkParseFeed parses the benchmark's 50-item feed, with the fast
// path and with gofeed alone.
func BenchmarkParseFeed(b *testing.B) {
	var buf bytes.Buffer
	benchFeeds{items: 50}.render(&buf, "7")
	body := buf.Bytes()
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, _, err := parse(body, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gofeed", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := gofeedParse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestFastClean(t *testing.T) {
	for s, want := range map[string]bool{
		"plain <x/>\t\n": true, "é “q” \uFFFD": true, "a\rb": false, "a\x01b": false, "a\x00": false,
		"\xef\xbf\xbe": false, "x\xef\xbf\xbf": false, "\xff": false, "\xc3": false, "\xef\xbf": false,
	} {
		if got := fastClean([]byte(s)); got != want {
			t.Errorf("fastClean(%q) = %v, want %v", s, got, want)
		}
	}
}
