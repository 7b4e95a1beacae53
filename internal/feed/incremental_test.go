package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/herald"
)

var incNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

const incFetched = "https://feeds.example/feed.xml"

// incMapper maps items as a poll of incFetched at incNow does.
func incMapper(f *gofeed.Feed) *mapper { return newMapper(f, incFetched, incNow) }

// checkIncremental checks parseBody on cur, after old was processed, against
// gofeed's whole-document parse of cur: the same feed information, and the
// items recorded are those of the whole parse (same values, same order) less
// only items recorded identically from old. It returns the result.
func checkIncremental(t testing.TB, old, cur []byte, contentType string) parsedBody {
	t.Helper()
	var known []byte
	var oldItems []herald.ArticleInput
	if pb, err := parseBody(old, contentType, incFetched, nil, incMapper); err == nil {
		known = pb.prints
		oldItems = wholeItems(t, old, contentType)
	}
	got, gerr := parseBody(cur, contentType, incFetched, known, incMapper)
	f, winfo, werr := parse(cur, contentType)
	if werr != nil {
		if gerr == nil {
			t.Fatalf("whole parse fails (%v), incremental parse does not", werr)
		}
		return got
	}
	if gerr != nil {
		t.Fatalf("incremental parse fails (%v), whole parse does not", gerr)
	}
	want, wskipped := incMapper(f).items(f)
	winfo.Skipped = len(wskipped)
	gi := got.info
	gi.Parsed = winfo.Parsed
	if gi != winfo {
		t.Fatalf("feed info\n got %+v\nwant %+v", got.info, winfo)
	}
	// got must be want less some items, each left out only if old recorded it.
	j := 0
	for _, w := range want {
		if j < len(got.items) && reflect.DeepEqual(got.items[j], w) {
			j++
			continue
		}
		if !containsItem(oldItems, w) {
			t.Fatalf("item %+v of the whole parse is missing from the incremental one", w)
		}
	}
	if j != len(got.items) {
		t.Fatalf("incremental item %+v is not in the whole parse (in order)", got.items[j])
	}
	return got
}

func wholeItems(t testing.TB, body []byte, contentType string) []herald.ArticleInput {
	f, _, err := parse(body, contentType)
	if err != nil {
		t.Fatalf("parseBody succeeds where parse fails: %v", err)
	}
	items, _ := incMapper(f).items(f)
	return items
}

func containsItem(items []herald.ArticleInput, it herald.ArticleInput) bool {
	for _, x := range items {
		if reflect.DeepEqual(x, it) {
			return true
		}
	}
	return false
}

// corpus is every feed under testdata/feeds and the inputs of the parse tests.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	dir := filepath.Join("..", "..", "testdata", "feeds")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	out["generated.xml"] = rss("edge", []testItem{
		{Title: "From the future", Link: "https://news.example/future", Published: incNow.Add(5 * time.Hour)},
		{Title: "Duplicate", Link: "https://news.example/dup?utm_source=a", GUID: "d1"},
		{Title: "Duplicate again", Link: "https://news.example/dup?utm_source=b", GUID: "d2"},
		{Title: "Not http", Link: "ftp://news.example/file"},
		{Title: "Relative", Link: "/news/relative", Summary: `<p><img src="/pics/a.jpg"> Caption</p>`},
	})
	out["empty items.json"] = []byte(`{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}`)
	out["bad.json"] = []byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [`)
	out["plain"] = []byte("hello, this is not a feed")
	out["null item.json"] = []byte(`{"version": "https://jsonfeed.org/version/1.1",
		"items": [{"id": "1", "url": "https://news.example/1", "title": "Flood"}, null]}`)
	return out
}

// edits returns variants of a feed body: each item-like element changed,
// dropped, or moved, the envelope changed.
func edits(body []byte) [][]byte {
	var out [][]byte
	for _, r := range []struct{ old, new string }{
		{"Flood", "Flooding"},
		{"<title>", "<title>Updated: "},
		{`"title": "`, `"title": "Updated: `},
		{"https://www.rivertonledger.example", "https://www.rivertonledger.example/new"},
		{"xmlns:dc=", "xmlns:dcx=\"http://example.com/x\" xmlns:dc="},
		{"<channel>", `<channel xml:base="https://other.example/">`},
		{"</item>", "</item><!-- c -->"},
	} {
		if bytes.Contains(body, []byte(r.old)) {
			out = append(out, bytes.Replace(body, []byte(r.old), []byte(r.new), 1))
			out = append(out, bytes.ReplaceAll(body, []byte(r.old), []byte(r.new)))
		}
	}
	for _, tag := range []string{"item", "entry"} {
		open, closing := []byte("<"+tag+">"), []byte("</"+tag+">")
		if i := bytes.Index(body, open); i >= 0 {
			if j := bytes.Index(body[i:], closing); j >= 0 {
				it := body[i : i+j+len(closing)]
				rest := append(append([]byte{}, body[:i]...), body[i+j+len(closing):]...)
				out = append(out, rest) // first item dropped
				if k := bytes.LastIndex(rest, closing); k >= 0 {
					moved := append(append(append([]byte{}, rest[:k+len(closing)]...), it...), rest[k+len(closing):]...)
					out = append(out, moved) // first item moved last
				}
			}
		}
	}
	return out
}

// TestIncrementalCorpus checks every corpus feed, and edits of it, against a
// whole parse, and that a body processed before parses no item again.
func TestIncrementalCorpus(t *testing.T) {
	for name, body := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			for _, ct := range []string{"", "application/rss+xml; charset=windows-1252"} {
				checkIncremental(t, nil, body, ct)
				again := checkIncremental(t, body, body, ct)
				// Only an item whose URL an earlier one holds (a duplicate) is
				// not remembered, and so parsed again.
				if f, _, err := parse(body, ct); err == nil && again.prints != nil {
					items, skipped := incMapper(f).items(f)
					if dups := len(f.Items) - len(items) - len(skipped); again.info.Parsed != dups || len(again.items) != 0 {
						t.Errorf("content type %q: the same body again parsed %d items (%d duplicates), recorded %d",
							ct, again.info.Parsed, dups, len(again.items))
					}
				}
				for i, e := range edits(body) {
					checkIncremental(t, body, e, ct)
					checkIncremental(t, e, body, ct)
					_ = i
				}
			}
		})
	}
}

// TestSplitsCorpus keeps the split honest: the corpus feeds that are UTF-8
// RSS, Atom or JSON are split (not handed whole to gofeed).
func TestSplitsCorpus(t *testing.T) {
	for _, name := range []string{"rss090.xml", "rss091.xml", "rss10.xml", "rss20.xml", "atom03.xml", "atom10.xml",
		"feed11.json", "sample.xml"} {
		body, err := prepare(readFeed(t, name), "")
		if err != nil {
			t.Fatal(err)
		}
		sp, ok := splitFeed(body)
		f, _, err := parse(body, "")
		if err != nil {
			t.Fatal(err)
		}
		if !ok || len(sp.items) != len(f.Items) {
			t.Errorf("%s: split %v with %d items, gofeed finds %d", name, ok, len(sp.items), len(f.Items))
		}
	}
}

// TestSplitRefuses lists what the scan must hand to gofeed whole.
func TestSplitRefuses(t *testing.T) {
	item := "<item><title>A</title><link>https://news.example/a</link></item>"
	for _, body := range []string{
		`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss><channel>` + item + `</channel></rss>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel>` + item + `</channel></rss>`,
		`<rss><channel>` + item + `<ITEM><title>B</title></ITEM></channel></rss>`,
		`<rss><channel>` + item + `<x:item xmlns:x="http://x.example/">B</x:item></channel></rss>`,
		`<rss><channel>` + item + `</channel><channel>` + item + `</channel></rss>`,
		`<rss><channel>` + item + `</channel>` + item + `</rss>`,
		`<rss><channel><item><title>A</title></channel></rss>`,
		`<rss><channel><item><title a=b>A</title></item></channel></rss>`,
		`<rss><channel><item><title a="<">A</title></item></channel></rss>`,
		`<rss><channel><item><?xml encoding="x"?></item></channel></rss>`,
		`<rss><channel><item><!-- a -- b --></item></channel></rss>`,
		"<rss><channel><item>\x01</item></channel></rss>",
		`<html><body>` + item + `</body></html>`,
		`<rss><channel>` + item + `</channel></rss>trailing`,
		`{"items": [{"id": "1"}], "Items": []}`,
		`{"items": [{"id": "1"}], "items": []}`,
		`{"\u0069tems": [{"id": "1"}]}`,
		`{"items": {"id": "1"}}`,
		`{"items": [{"id": "1"]}`,
	} {
		if _, ok := splitFeed([]byte(body)); ok {
			t.Errorf("split %q", body)
		}
	}
}

// TestIncrementalEdits is the acceptance: an item edited in place is
// parsed again; reordered items and renamed namespace prefixes record nothing
// new.
func TestIncrementalEdits(t *testing.T) {
	items := []testItem{
		{GUID: "a", Title: "First story", Link: "https://news.example/a", Published: incNow.Add(-time.Hour)},
		{GUID: "b", Title: "Second story", Link: "https://news.example/b", Published: incNow.Add(-2 * time.Hour)},
		{GUID: "c", Title: "Third story", Link: "https://news.example/c", Published: incNow.Add(-3 * time.Hour)},
	}
	v1 := rss("t", items)
	edited := append([]testItem(nil), items...)
	edited[1].Title = "Second story, corrected"
	got := checkIncremental(t, v1, rss("t", edited), "")
	if got.info.Parsed != 1 || len(got.items) != 1 || got.items[0].Title != "Second story, corrected" {
		t.Errorf("edited item: parsed %d, items %+v", got.info.Parsed, got.items)
	}
	reordered := []testItem{items[2], items[0], items[1]}
	got = checkIncremental(t, v1, rss("t", reordered), "")
	if got.info.Parsed != 0 || len(got.items) != 0 || got.info.Items != 3 {
		t.Errorf("reordered: parsed %d, items %+v, info %+v", got.info.Parsed, got.items, got.info)
	}
	// The same items with the Dublin Core namespace under another prefix:
	// everything is read again (the bytes changed), and it is the same.
	dc := func(prefix string) []byte {
		s := string(rss("t", items))
		s = strings.Replace(s, `<rss version="2.0">`, `<rss version="2.0" xmlns:`+prefix+`="http://purl.org/dc/elements/1.1/">`, 1)
		return []byte(strings.ReplaceAll(s, "</item>", "<"+prefix+":creator>Desk</"+prefix+":creator></item>"))
	}
	first := checkIncremental(t, nil, dc("dc"), "")
	got = checkIncremental(t, dc("dc"), dc("purl"), "")
	if !reflect.DeepEqual(got.items, first.items) || got.items[0].Author != "Desk" {
		t.Errorf("renamed prefix: items %+v, want %+v", got.items, first.items)
	}
}

func FuzzIncremental(f *testing.F) {
	for _, body := range corpus(f) {
		f.Add(body, body, "")
		for _, e := range edits(body) {
			f.Add(body, e, "")
		}
	}
	f.Fuzz(func(t *testing.T, old, cur []byte, contentType string) {
		checkIncremental(t, old, cur, contentType)
	})
}

// FuzzIncrementalSplice keeps most of a corpus feed intact and splices a
// fragment into it, so that the fuzzer works inside well-formed documents.
func FuzzIncrementalSplice(f *testing.F) {
	c := corpus(f)
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, frag := range []string{"<![CDATA[ <item> ]]>", "<!-- </item> -->", "<item>", "</item>", "</entry><entry>",
		`<x:item xmlns:x="http://x.example/">`, ` xml:base="/other/"`, ` xmlns="http://www.w3.org/2005/Atom"`,
		"&amp;", "<?pi x?>", `{"id": "n", "url": "/n"}, `, "null, ", `"Items": [], `, "<channel>", "<ITEM/>"} {
		f.Add(uint8(i), uint16(97*i), []byte(frag))
	}
	f.Fuzz(func(t *testing.T, which uint8, at uint16, frag []byte) {
		body := c[names[int(which)%len(names)]]
		pos := int(at) % (len(body) + 1)
		cur := append(append(append([]byte{}, body[:pos]...), frag...), body[pos:]...)
		checkIncremental(t, body, cur, "")
		checkIncremental(t, cur, body, "")
	})
}

// TestNothingNewIsNotParsed checks that a body whose envelope and items are
// all known from the last one (here reordered) is not given to gofeed at
// all, yet reads as a whole parse does; that the same body fetched from
// another address is (a relative link may resolve otherwise); and that a set
// stored in the first encoding is still read.
func TestNothingNewIsNotParsed(t *testing.T) {
	items := []testItem{
		{GUID: "a", Title: "First story", Link: "https://news.example/a", Published: incNow.Add(-time.Hour)},
		{GUID: "b", Title: "Second story", Link: "/b", Published: incNow.Add(-2 * time.Hour)},
	}
	v1 := rss("t", items)
	cur := rss("t", []testItem{items[1], items[0]})
	first, err := parseBody(v1, "", incFetched, nil, incMapper)
	if err != nil || first.prints == nil {
		t.Fatal(err)
	}
	mapped := 0
	counting := func(f *gofeed.Feed) *mapper { mapped++; return incMapper(f) }
	got, err := parseBody(cur, "", incFetched, first.prints, counting)
	if err != nil || mapped != 0 || len(got.items) != 0 {
		t.Fatalf("known body: err %v, mapped %d times, items %+v", err, mapped, got.items)
	}
	_, want, _ := parse(cur, "")
	want.Skipped, want.Parsed = 0, 0
	if got.info != want {
		t.Errorf("known body: info %+v, want %+v", got.info, want)
	}
	if !bytes.Equal(got.prints, first.prints) {
		t.Errorf("known body: the stored set changed")
	}

	if _, err := parseBody(cur, "", "https://elsewhere.example/feed.xml", first.prints, counting); err != nil || mapped != 1 {
		t.Errorf("another address: err %v, mapped %d times, want 1", err, mapped)
	}

	// The first encoding: no envelope key nor feed information.
	p := decodePrints(first.prints)
	old := append([]byte{1}, first.prints[1:9]...)
	old = append(old, p.items...)
	mapped = 0
	got, err = parseBody(cur, "", incFetched, old, counting)
	if err != nil || mapped != 1 || len(got.items) != 0 || got.info.Parsed != 0 {
		t.Errorf("version 1 set: err %v, mapped %d, items %+v, info %+v", err, mapped, got.items, got.info)
	}
	if q := decodePrints(got.prints); q == nil || q.envelope == 0 || q.info.Title != "t" || q.len() != 2 {
		t.Errorf("version 1 set: not written again as version 2: %+v", q)
	}
}
