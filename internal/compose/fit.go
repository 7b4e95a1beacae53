package compose

import (
	"bytes"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes t and returns the tidied text and its length.
func (c *Composer) render(t *tmpl, d *Data) (string, int, error) {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	err := t.t.Execute(b, d)
	text := tidy(b.String())
	bufPool.Put(b)
	if err != nil {
		return "", 0, err
	}
	return text, c.rules.length(text), nil
}

// fit renders the post within the network's limit: as it is, plus the
// hashtags that fit; else with the summary shortened (or dropped) if the
// template shows it; else with the title shortened.
func (c *Composer) fit(t *tmpl, d *Data, tags []string) (string, error) {
	text, n, err := c.render(t, d)
	if err != nil {
		return "", c.permanent("template", err)
	}
	if n <= c.rules.limit {
		return c.addHashtags(t, d, text, n, tags)
	}
	if t.usesSummary && d.Summary != "" {
		if s, ok, err := c.shorten(t, d, &d.Summary); err != nil || ok {
			return s, err
		}
		d.Summary = ""
	}
	if d.Title != "" {
		if s, ok, err := c.shorten(t, d, &d.Title); err != nil || ok {
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
			if m > c.rules.limit {
				break
			}
			text = s
		}
		return text, nil
	}
	for _, tag := range tags {
		if containsTag(text, tag) {
			continue
		}
		add := " " + tag
		m := c.rules.length(add)
		if n+m > c.rules.limit {
			break
		}
		text, n = text+add, n+m
	}
	return text, nil
}

// shorten cuts *field at the longest word boundary (or, when not even one
// word fits, grapheme boundary) at which the post fits, with "…" added. It
// reports false when no cut fits; *field is restored then.
func (c *Composer) shorten(t *tmpl, d *Data, field *string) (string, bool, error) {
	orig := *field
	try := func(cuts []int) (string, bool, error) {
		// Longest fitting cut by bisection; only renders that fit are kept,
		// so a length that is not monotonic (a URL-like word cut in two)
		// can cost length, never correctness.
		best, found := "", false
		lo, hi := 0, len(cuts)-1
		for lo <= hi {
			mid := int(uint(lo+hi) >> 1)
			*field = orig[:cuts[mid]] + ellipsis
			s, n, err := c.render(t, d)
			if err != nil {
				return "", false, c.permanent("template", err)
			}
			if n <= c.rules.limit {
				best, found = s, true
				lo = mid + 1
			} else {
				hi = mid - 1
			}
		}
		return best, found, nil
	}
	words := wordCuts(orig)
	s, ok, err := try(words)
	if err == nil && !ok {
		first := len(orig)
		if len(words) > 0 {
			first = words[0]
		}
		s, ok, err = try(graphemeCuts(orig[:first]))
	}
	*field = orig
	return s, ok, err
}
