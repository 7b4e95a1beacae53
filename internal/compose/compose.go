package compose

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/heraldhq/herald/internal/herald"
)

// ErrTooLong is wrapped by Compose's error when a post cannot fit the
// network's limit even with its title shortened: the job is skipped as "too
// long", not retried.
var ErrTooLong = errors.New("post too long")

// Options configure the composer of one account (the account's template,
// repost_template, hashtags and utm keys).
type Options struct {
	Network herald.Network
	// Template is a text/template over Data; empty: the network's default,
	// "{{.Title}} {{.URL}}" (Facebook: "{{.Title}}", the link goes apart).
	Template string
	// RepostTemplate is used for reposts; empty: "ICYMI: " and the default.
	RepostTemplate string
	// Hashtags is how many hashtags from the article's categories to add at
	// most (only while they fit).
	Hashtags int
	UTM      UTM
}

// Data is what a template sees. All fields are plain text.
type Data struct {
	Title    string // shortened with "…" when the post would be too long
	URL      string // the link posted: the UTM-tagged article URL or the short link
	Summary  string // shortened, then dropped, before the title is
	Section  string
	Hashtags string // "#WorldNews #Economy": those that fit
	Author   string
}

// ComposeJob is what one post job asks beyond the account's settings.
type ComposeJob struct {
	// Template overrides the account's template for this job.
	Template string
	// Text, when set, is the post as written by hand: it is neither templated
	// nor shortened (too long is an error); where the link goes in the text
	// (X, Mastodon, Bluesky) it is appended unless the text holds it already.
	Text string
	// Repost selects the account's repost template.
	Repost bool
	// ShortURL, when set, is posted instead of the tagged article URL
	// (public_url/s/{code} when shortlinks are on).
	ShortURL string
}

// FromJob returns the ComposeJob of a post job. shortBase is http.public_url
// when shortlinks are on and "" otherwise.
func FromJob(j *herald.Job, shortBase string) ComposeJob {
	cj := ComposeJob{Template: j.Template, Text: j.Text, Repost: j.Kind == herald.KindRepost}
	if shortBase != "" && j.ShortCode != "" {
		cj.ShortURL = strings.TrimRight(shortBase, "/") + "/s/" + j.ShortCode
	}
	return cj
}

// Composer composes the posts of one account. It is safe for concurrent use.
type Composer struct {
	network  herald.Network
	rules    rules
	post     *tmpl
	repost   *tmpl
	hashtags int
	utm      UTM

	mu       sync.Mutex
	jobTmpls map[string]*tmpl // per-job template overrides, parsed once

	// server, when set, says the limits the account's server configures
	// (Mastodon instances choose theirs); see UseServerLimits.
	server atomic.Pointer[LimitSource]
}

// LimitSource tells the text limits an account's server configures:
// maxChars is the longest post, urlLength what a link counts for. Zero
// means not known (yet): the network's default applies.
type LimitSource interface {
	TextLimits() (maxChars, urlLength int)
}

// UseServerLimits makes the composer fit posts to the limits src reports
// (for Mastodon: the instance's max_characters and
// characters_reserved_per_url) instead of the network's defaults.
func (c *Composer) UseServerLimits(src LimitSource) {
	if src != nil && c.network == herald.Mastodon {
		c.server.Store(&src)
	}
}

// limit is the length limit in force: the server's when it told it.
func (c *Composer) limit() int {
	if src := c.server.Load(); src != nil {
		if n, _ := (*src).TextLimits(); n > 0 {
			return n
		}
	}
	return c.rules.limit
}

// length counts text as the network does, with the server's link length
// when it told it.
func (c *Composer) length(text string) int {
	if src := c.server.Load(); src != nil {
		if _, u := (*src).TextLimits(); u > 0 {
			return mastodonLengthWith(text, u)
		}
	}
	return c.rules.length(text)
}

// maxJobTemplates bounds the cache of per-job templates.
const maxJobTemplates = 64

// tmpl is a parsed template and which optional fields it shows.
type tmpl struct {
	t            *template.Template
	segs         []segment // nil: execute t
	usesHashtags bool
	usesSummary  bool
}

// New returns the composer for an account. Templates are parsed and tried
// once here, so a bad template is reported at start-up, naming its key.
func New(o Options) (*Composer, error) {
	r, ok := networks[o.Network]
	if !ok {
		return nil, fmt.Errorf("compose: unknown network %q", o.Network)
	}
	if o.Hashtags < 0 {
		return nil, fmt.Errorf("compose: hashtags: must not be negative")
	}
	c := &Composer{network: o.Network, rules: r, hashtags: o.Hashtags, utm: o.UTM, jobTmpls: map[string]*tmpl{}}
	var err error
	if c.post, err = parseTemplate("template", orDefault(o.Template, r.template)); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if c.repost, err = parseTemplate("repost_template", orDefault(o.RepostTemplate, r.repostTemplate)); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return c, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// Sentinels that show which optional fields a template prints.
const (
	hashtagsProbe = "\x00hashtags\x00"
	summaryProbe  = "\x00summary\x00"
)

// parseTemplate parses a template and executes it once on sample data, so an
// unknown field ("{{.Titel}}") fails here rather than on the first post.
func parseTemplate(name, text string) (*tmpl, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	sample := Data{Title: "Title", URL: "https://example.com/story", Summary: summaryProbe,
		Section: "Section", Hashtags: hashtagsProbe, Author: "Author"}
	if err := t.Execute(&b, &sample); err != nil {
		return nil, err
	}
	out := b.String()
	return &tmpl{
		t:            t,
		segs:         segmentsOf(t),
		usesHashtags: strings.Contains(out, hashtagsProbe),
		usesSummary:  strings.Contains(out, summaryProbe),
	}, nil
}

// Network returns the network the composer writes for.
func (c *Composer) Network() herald.Network { return c.network }

// Limit returns the network's length limit, in the units of Length.
func (c *Composer) Limit() int { return c.limit() }

// Length returns text's length as the network counts it (X: WeightedLength).
func (c *Composer) Length(text string) int { return c.length(text) }

// TagURL returns link with the account's UTM parameters (see TagURL); the
// short-link redirect uses it for its target.
func (c *Composer) TagURL(link string) string { return TagURL(link, c.utm) }

// Compose writes the post of article a for this account. The text fits the
// network's limit; when it would not, the summary and then the title are
// shortened at a word boundary with "…" (never the link or a hashtag). If it
// still cannot fit, the error wraps ErrTooLong (a *herald.Error of kind
// ErrPermanent). A template that fails on this article is a permanent error
// too.
func (c *Composer) Compose(a herald.Article, j ComposeJob) (herald.Message, error) {
	link := j.ShortURL
	if link == "" {
		link = c.TagURL(a.URL)
	}
	m := herald.Message{Link: link, Title: plain(a.Title), Description: plain(a.Summary), ImageURL: a.ImageURL}

	if strings.TrimSpace(j.Text) != "" {
		text := tidy(j.Text)
		if c.rules.linkInText && !holdsLink(text, link, a.URL) {
			text += " " + link
		}
		if n := c.length(text); n > c.limit() {
			return m, c.tooLong(n, "the text given")
		}
		m.Text = text
		return m, nil
	}

	t, err := c.template(j)
	if err != nil {
		return m, c.permanent("job template", err)
	}
	d := Data{Title: m.Title, URL: link, Summary: m.Description, Section: plain(a.Section), Author: plain(a.Author)}
	m.Text, err = c.fit(t, &d, Hashtags(a.Categories, c.hashtags))
	return m, err
}

// template returns the template a job uses.
func (c *Composer) template(j ComposeJob) (*tmpl, error) {
	switch {
	case strings.TrimSpace(j.Template) != "":
	case j.Repost:
		return c.repost, nil
	default:
		return c.post, nil
	}
	c.mu.Lock()
	t, ok := c.jobTmpls[j.Template]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := parseTemplate("job template", j.Template)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.jobTmpls) < maxJobTemplates {
		c.jobTmpls[j.Template] = t
	}
	c.mu.Unlock()
	return t, nil
}

func (c *Composer) permanent(what string, err error) error {
	return &herald.Error{Kind: herald.ErrPermanent, Network: c.network, Op: "compose",
		Message: what + ": " + err.Error(), Err: err}
}

func (c *Composer) tooLong(n int, what string) error {
	return &herald.Error{Kind: herald.ErrPermanent, Network: c.network, Op: "compose",
		Message: fmt.Sprintf("too long: %s is %d, the limit %d", what, n, c.limit()), Err: ErrTooLong}
}
