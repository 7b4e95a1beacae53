package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// previewShortCode stands in for a short link's code, which is drawn when
// the job is created; it has a real code's length.
const previewShortCode = "XXXXXXXX"

// previewPost is one account's post as `herald preview` shows it.
type previewPost struct {
	Account string `json:"account"`
	Network string `json:"network"`
	Text    string `json:"text"` // the post's text (Facebook: its message)
	Link    string `json:"link"` // the link sent (Facebook: its link card)
	Length  int    `json:"length"`
	Limit   int    `json:"limit"`
	// Error says why the post would not be sent (too long, a template that
	// fails on this article): the job would be skipped.
	Error string `json:"error,omitempty"`
}

// previewResult is the JSON of `herald preview`.
type previewResult struct {
	Article struct {
		Title string `json:"title"`
		URL   string `json:"url"`
		ID    int64  `json:"id,omitempty"` // set when Herald knows it
		From  string `json:"from"`         // "herald", "page" or "flags"
	} `json:"article"`
	Posts []previewPost `json:"posts"`
}

type previewFlags struct {
	accounts                  []string
	url, title, link, summary string
	text, template, format    string
	repost                    bool
}

func newPreviewCmd(a *App) *cobra.Command {
	var f previewFlags
	cmd := &cobra.Command{
		Use:   "preview (--url URL | --title TITLE --link URL)",
		Short: "Show each account's post for an article exactly as it would be sent",
		Long: `Compose the post of an article for each account (or those named with
--account) with the account's template, hashtags and UTM tags, and print it
exactly as it would be sent, with its length against the network's limit
(X counts as twitter-text does: every link 23, emoji 2). Nothing is sent.

With --url, an article Herald already knows is used as recorded; otherwise
its page is fetched and its title (og:title or <title>) and canonical link
are read. With --title and --link, the article is made of those.
A post that cannot fit is reported with the reason it would be skipped, and
the command exits 1.`,
		Example: "  herald preview --url https://example.com/news/storm\n" +
			"  herald preview --account x_main --title 'Storm hits the coast' --link https://example.com/storm\n" +
			"  herald preview --url https://example.com/news/storm --repost --format json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			ids, err := pickAccounts(cfg, f.accounts, "--account")
			if err != nil {
				return err
			}
			var res previewResult
			art, err := a.previewArticle(cmd.Context(), cfg, f, &res)
			if err != nil {
				return err
			}
			for _, id := range ids {
				res.Posts = append(res.Posts, previewOne(cfg, id, art, f))
			}
			if f.format == "json" {
				err = writeJSON(a, "", res)
			} else {
				err = a.printPreview(res)
			}
			if err != nil {
				return err
			}
			if n := countFailed(res.Posts); n > 0 {
				return fmt.Errorf("%d of %d posts could not be composed (they would be skipped)", n, len(res.Posts))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.accounts, "account", nil, "only this account (repeat or comma-separate for several; default: all)")
	fl.StringVar(&f.url, "url", "", "the article's URL: as Herald knows it, or read from its page")
	fl.StringVar(&f.title, "title", "", "the headline (with --link, instead of --url)")
	fl.StringVar(&f.link, "link", "", "the article's link (with --title)")
	fl.StringVar(&f.summary, "summary", "", "the article's summary, for templates that use {{.Summary}} (with --title)")
	fl.StringVar(&f.text, "text", "", "the post's text written by hand instead of the template (the link is added on X)")
	fl.StringVar(&f.template, "template", "", "a template instead of the account's (Go text/template)")
	fl.BoolVar(&f.repost, "repost", false, "use the accounts' repost_template")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	return cmd
}

func (f *previewFlags) check() error {
	switch {
	case f.format != "text" && f.format != "json":
		return usageErrorf("--format: must be text or json, not %q", f.format)
	case f.url != "" && (f.title != "" || f.link != "" || f.summary != ""):
		return usageErrorf("--url: give either --url or --title and --link, not both")
	case f.url == "" && (f.title == "" || f.link == ""):
		return usageErrorf("--url or both --title and --link are required")
	case f.text != "" && (f.template != "" || f.repost):
		return usageErrorf("--text: a text written by hand uses no template (drop --template and --repost)")
	}
	return nil
}

// pickAccounts returns the accounts named (checked against the
// configuration: a not-found error names what, the flag or command that named
// them), or all of them.
func pickAccounts(cfg *config.Config, named []string, what string) ([]string, error) {
	all := accountIDs(cfg)
	if len(named) == 0 {
		if len(all) == 0 {
			return nil, usageErrorf("no accounts are configured (accounts: in the configuration)")
		}
		return all, nil
	}
	var ids []string
	for _, id := range named {
		id = strings.TrimSpace(id)
		if !slices.Contains(all, id) {
			return nil, notFoundErrorf("%s: no account is named %q (accounts: %s)", what, id, strings.Join(all, ", "))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// previewArticle finds or makes the article to preview and fills res.Article.
func (a *App) previewArticle(ctx context.Context, cfg *config.Config, f previewFlags, res *previewResult) (herald.Article, error) {
	if f.url == "" {
		link, err := herald.CanonicalURL(f.link)
		if err != nil {
			return herald.Article{}, usageErrorf("--link: must be an absolute http or https URL (got %q)", f.link)
		}
		art := herald.Article{Title: herald.PlainText(f.title), URL: link, Summary: herald.PlainText(f.summary)}
		res.Article.Title, res.Article.URL, res.Article.From = art.Title, art.URL, "flags"
		return art, nil
	}
	st, err := a.OpenStore(ctx)
	if err != nil {
		return herald.Article{}, err
	}
	defer st.Close()
	art, known, err := lookupArticle(ctx, st, cfg, f.url)
	var ue *usageErr
	if errors.As(err, &ue) {
		return herald.Article{}, usageErrorf("--url: %w", err)
	}
	if err != nil {
		return herald.Article{}, err
	}
	res.Article.Title, res.Article.URL, res.Article.From = art.Title, art.URL, "page"
	if known {
		res.Article.ID, res.Article.From = art.ID, "herald"
	}
	return art, nil
}

// previewOne composes account id's post of art.
func previewOne(cfg *config.Config, id string, art herald.Article, f previewFlags) previewPost {
	acct := cfg.Accounts[id]
	p := previewPost{Account: id, Network: acct.Network}
	c, err := buildComposer(id, acct)
	if err != nil {
		p.Error = err.Error()
		return p
	}
	job := compose.ComposeJob{Text: f.text, Template: f.template, Repost: f.repost}
	if base := shortBase(cfg); base != "" {
		job.ShortURL = strings.TrimRight(base, "/") + "/s/" + previewShortCode
	}
	m, err := c.Compose(art, job)
	p.Text, p.Link, p.Limit = m.Text, m.Link, c.Limit()
	p.Length = c.Length(m.Text)
	if c.Network() == herald.Twitter {
		p.Length = compose.WeightedLength(m.Text)
	}
	if err != nil {
		p.Error = err.Error()
		var he *herald.Error
		if errors.As(err, &he) && he.Message != "" {
			p.Error = he.Message
		}
	}
	return p
}

func countFailed(posts []previewPost) int {
	n := 0
	for _, p := range posts {
		if p.Error != "" {
			n++
		}
	}
	return n
}

// printPreview prints the article and each post, the text verbatim.
func (a *App) printPreview(res previewResult) error {
	color := a.Color()
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	from := map[string]string{"herald": fmt.Sprintf("known to Herald as article %d", res.Article.ID),
		"page": "read from its page", "flags": "as given"}[res.Article.From]
	fmt.Fprintf(&b, "Article: %s\nURL:     %s (%s)\n", cleanCell(res.Article.Title), res.Article.URL, from)
	for _, p := range res.Posts {
		b.WriteString("\n")
		head := fmt.Sprintf("%s (%s)", p.Account, p.Network)
		if p.Error != "" {
			fmt.Fprintf(&b, "%s  %s\n", paint("1", head), paint("31", "would be skipped: "+cleanCell(p.Error)))
			continue
		}
		length := fmt.Sprintf("%d/%d", p.Length, p.Limit)
		fmt.Fprintf(&b, "%s  %s\n", paint("1", head), paint("2", length))
		// The text exactly as sent: line breaks of a template kept.
		b.WriteString(indent(p.Text))
		if p.Network == string(herald.Facebook) && p.Link != "" {
			fmt.Fprintf(&b, "  %s %s\n", paint("2", "link:"), p.Link)
		}
	}
	_, err := fmt.Fprint(a.Out(), b.String())
	return err
}

// indent prefixes every line of s but empty ones with two spaces.
func indent(s string) string {
	var b strings.Builder
	for line := range strings.Lines(strings.TrimSuffix(s, "\n") + "\n") {
		if line != "\n" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return b.String()
}
