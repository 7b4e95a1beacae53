package compose

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/herald"
)

// FuzzCompose checks the composer's promises on any title, link and
// category: the X post is within 280 or the error is ErrTooLong; the link is
// whole; the text is valid UTF-8 when the input is.
func FuzzCompose(f *testing.F) {
	f.Add("Peña Nieto &amp; Videgaray: reforma", storyURL, "world news")
	f.Add(strings.Repeat("故人西辞黄鹤楼", 40), "https://example.com/a?b=1#c", "東京")
	f.Add(strings.Repeat("👨‍👩‍👧‍👦 ", 150), storyURL, "")
	f.Add(strings.Repeat("Amazon.com ", 40), "http://127.0.0.1:8080/x", "U.S. politics")
	f.Add("e"+strings.Repeat("\u0301", 400), storyURL, "2024")
	f.Add(strings.Repeat("a-", 300), "https://t.co/abc", "#tag")
	f.Add("1\ufe0f\u20e3 🇲🇽 ©\ufe0f", "https://ex.com/"+strings.Repeat("x", 3000), "x")
	f.Add(strings.Repeat("a.", 2000), storyURL, "a.b")
	f.Add(strings.Repeat("ab.", 1000)+"x", storyURL, "")

	c := mustNew(f, Options{Network: herald.Twitter, Hashtags: 2, UTM: UTM{Source: "x", Medium: "social"}})
	f.Fuzz(func(t *testing.T, title, link, category string) {
		if strings.IndexFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			t.Skip("links come canonical, without whitespace")
		}
		a := herald.Article{URL: link, Title: title, Categories: []string{category}}
		m, err := c.Compose(a, ComposeJob{})
		if err != nil {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("error %v is not ErrTooLong", err)
			}
			return
		}
		if n := WeightedLength(m.Text); n > MaxTweetLength {
			t.Fatalf("weighted length %d > %d: %q", n, MaxTweetLength, m.Text)
		}
		if want := TagURL(link, c.utm); m.Link != want || !strings.Contains(m.Text, want) {
			t.Fatalf("link %q not intact in %q", want, m.Text)
		}
		if utf8.ValidString(title) && utf8.ValidString(link) && utf8.ValidString(category) && !utf8.ValidString(m.Text) {
			t.Fatalf("invalid UTF-8 from valid input: %q", m.Text)
		}
	})
}

// FuzzWeightedLength: counting never panics, never goes below the code
// point count's lower bound (a URL of 23 may stand for more), and is
// additive across a space.
func FuzzWeightedLength(f *testing.F) {
	f.Add("Hi http://test.co", "👨‍👩‍👧‍👦")
	f.Add("https://ex.com/(a(b)c)?x=1.", "Amazon.com")
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := WeightedLength(a), WeightedLength(b)
		if na < 0 || nb < 0 {
			t.Fatalf("negative length")
		}
		if utf8.RuneCountInString(a) > 0 && na == 0 && strings.TrimSpace(a) != "" {
			t.Fatalf("non-empty text %q weighs 0", a)
		}
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		if strings.HasPrefix(b, "#") && !strings.ContainsAny(b, ". \u00a0") {
			// What addHashtags relies on: appending " #tag" adds its own weight.
			if got, want := WeightedLength(a+" "+b), na+WeightedLength(" "+b); got != want {
				t.Fatalf("WeightedLength(%q + %q) = %d, want %d", a, " "+b, got, want)
			}
		}
	})
}

// FuzzURLScanner: skipping host starts that cannot succeed finds the same
// URLs as trying every start.
func FuzzURLScanner(f *testing.F) {
	for _, s := range []string{"a.a.a.b.com", "a_b.c.com x-y.example.com", "é-b.c.com", "-b.com", "a.b-.c.com",
		"ab.ab.x", "http://a.b_c.com/x", "x.y_z.com.mx", "1.2.3.4.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fast, naive urlScanner
		fast.init(s, true)
		naive.init(s, true)
		naive.naive = true
		for {
			a, okA := fast.next()
			b, okB := naive.next()
			if a != b || okA != okB {
				t.Fatalf("%q: scanner found %v %v, naive %v %v", s, a, okA, b, okB)
			}
			if !okA {
				return
			}
		}
	})
}
