package compose

import (
	"bytes"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes t and returns the tidied text and its length.
func (c *Composer) render(t *tmpl, d *Data) (string, int, error) {
	var text string
	if t.segs != nil {
		var b strings.Builder
		b.Grow(len(d.Title) + len(d.URL) + len(d.Summary) + len(d.Hashtags) + 32)
		renderSegments(&b, t.segs, d)
		text = tidy(b.String())
	} else {
		b := bufPool.Get().(*bytes.Buffer)
		b.Reset()
		err := t.t.Execute(b, d)
		text = tidy(b.String())
		bufPool.Put(b)
		if err != nil {
			return "", 0, err
		}
	}
	return text, c.length(text), nil
}

// fit renders the post within the network's limit: as it is, plus the
// hashtags that fit; else with the summary shortened (or dropped) if the
// template shows it; else with the title shortened.
func (c *Composer) fit(t *tmpl, d *Data, tags []string) (string, error) {
	text, n, err := c.render(t, d)
	if err != nil {
		return "", c.permanent("template", err)
	}
	if n <= c.limit() {
		return c.addHashtags(t, d, text, n, tags)
	}
	if t.usesSummary && d.Summary != "" {
		if s, ok, err := c.shorten(t, d, &d.Summary, n); err != nil || ok {
			return s, err
		}
		d.Summary = ""
		if _, n, err = c.render(t, d); err != nil {
			return "", c.permanent("template", err)
		}
	}
	if d.Title != "" {
		if s, ok, err := c.shorten(t, d, &d.Title, n); err != nil || ok {
			return s, err
		}
	}
	return "", c.tooLong(n, "the post")
}

// addHashtags adds tags while they fit: into the template's .Hashtags if it
// shows them, else appended. Appending " #Tag" adds exactly its own length
// (a space ends any URL or emoji sequence before it), so it is measured
// alone.
func (c *Composer) addHashtags(t *tmpl, d *Data, text string, n int, tags []string) (string, error) {
	if t.usesHashtags {
		for k := 1; k <= len(tags); k++ {
			d.Hashtags = strings.Join(tags[:k], " ")
			s, m, err := c.render(t, d)
			if err != nil {
				return "", c.permanent("template", err)
			}
			if m > c.limit() {
				break
			}
			text = s
		}
		return text, nil
	}
	var b strings.Builder
	for _, tag := range tags {
		if containsTag(text, tag) {
			continue
		}
		m := c.length(tag) + 1 // and the space before it
		if n+m > c.limit() {
			break
		}
		if b.Len() == 0 {
			b.Grow(len(text) + 64)
			b.WriteString(text)
		}
		b.WriteByte(' ')
		b.WriteString(tag)
		n += m
	}
	if b.Len() > 0 {
		text = b.String()
	}
	return text, nil
}

// shorten cuts *field at the longest word boundary (or, when not even one
// word fits, grapheme boundary) at which the post fits, with "…" added. It
// reports false when no cut fits; *field is restored then. n is the post's
// length with the field whole.
func (c *Composer) shorten(t *tmpl, d *Data, field *string, n int) (string, bool, error) {
	orig := *field
	var best string
	var err error
	fits := func(cut int) bool {
		if err != nil {
			return false
		}
		*field = orig[:cut] + ellipsis
		s, m, e := c.render(t, d)
		if e != nil {
			err = c.permanent("template", e)
			return false
		}
		if m > c.limit() {
			return false
		}
		best = s
		return true
	}
	words := wordCuts(orig)
	i := search(len(words), c.guessCut(orig, words, n), func(i int) bool { return fits(words[i]) })
	if i < 0 && err == nil {
		first := len(orig)
		if len(words) > 0 {
			first = words[0]
		}
		graphemes := graphemeCuts(orig[:first])
		i = search(len(graphemes), c.guessCut(orig, graphemes, n), func(i int) bool { return fits(graphemes[i]) })
	}
	*field = orig
	if err != nil {
		return "", false, err
	}
	return best, i >= 0, nil
}

// guessCut estimates the last of cuts at which the post fits, taking the
// length of the text cut off as the sum of its words' lengths: renders are
// then spent around the answer rather than halving from the middle.
func (c *Composer) guessCut(s string, cuts []int, n int) int {
	need := n - c.limit() + c.length(ellipsis)
	removed, end := 0, len(s)
	for i := len(cuts) - 1; i >= 0; i-- {
		removed += c.length(s[cuts[i]:end])
		if removed >= need {
			return i
		}
		end = cuts[i]
	}
	return 0
}

// search returns the largest i in [0, n) for which fits(i) holds, or -1,
// probing guess first and galloping from it, then bisecting. fits need not
// be monotonic (a URL-like word cut in two changes the count): a result is
// always one for which fits held, perhaps not the largest.
func search(n, guess int, fits func(int) bool) int {
	if n == 0 {
		return -1
	}
	guess = min(max(guess, 0), n-1)
	best, lo, hi := -1, 0, n-1
	if fits(guess) {
		best, lo = guess, guess+1
		for step := 1; lo <= hi; step *= 2 {
			p := min(guess+step, hi)
			if !fits(p) {
				hi = p - 1
				break
			}
			best, lo = p, p+1
		}
	} else {
		hi = guess - 1
		for step := 1; lo <= hi; step *= 2 {
			p := max(guess-step, lo)
			if fits(p) {
				best, lo = p, p+1
				break
			}
			hi = p - 1
		}
	}
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		if fits(mid) {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}
