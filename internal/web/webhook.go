package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Webhook request headers.
const (
	SignatureHeader = herald.SignatureHeader // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	TimestampHeader = herald.TimestampHeader // unix seconds
	// WebhookSource is the push-only source webhook articles are recorded
	// under when their section names no configured source.
	WebhookSource = "webhook"
	// MaxClockSkew is how far X-Herald-Timestamp may be from the server's
	// clock, either way.
	MaxClockSkew = 5 * time.Minute
)

// WebhookOptions configures POST /hooks/articles.
type WebhookOptions struct {
	// Secret is http.webhook_secret. Empty disables the endpoint: it answers
	// 503 rather than accept unsigned articles.
	Secret string
	// Targets are the accounts an article goes to when it names none and its
	// section is no configured source (http.webhook_targets). Empty: Accounts.
	Targets []string
	// Accounts are the IDs of every configured account; an article naming
	// another target is refused.
	Accounts []string
	// Sections maps configured source names to their targets. An article
	// whose "section" names one is recorded under that source (so reports
	// show its section, and the feed seeing it later changes nothing) and,
	// naming no targets, goes to that source's targets.
	Sections map[string][]string
	// BreakingCategories make an article breaking news (it jumps the queue)
	// when one matches a category, case-insensitively, unless the payload
	// says "priority": "normal".
	BreakingCategories []string
	// MaxAge is publish.max_age: older articles are recorded as stale, not posted.
	MaxAge time.Duration
	// Rules, when set, completes the intake rules of the source an article
	// is recorded under (filters of the source and of its targets).
	Rules func(source string, base herald.IntakeRules) herald.IntakeRules
	// OnNew is called after jobs were created (it wakes the dispatcher).
	OnNew func()
}

// webhookArticle is one article in the 202 answer, in payload order.
type webhookArticle struct {
	ID      int64   `json:"id"`
	URL     string  `json:"url"` // canonical
	Section string  `json:"section"`
	New     bool    `json:"new"`
	Updated bool    `json:"updated"`
	Stale   bool    `json:"stale,omitempty"`
	Jobs    []int64 `json:"jobs"`
	// EditSkipped says why the article's fields were not applied: its
	// updated_at is older than the edit stored ("stale edit: …").
	EditSkipped string `json:"edit_skipped,omitempty"`
}

type webhookAnswer struct {
	Articles []webhookArticle `json:"articles"`
}

// webhookInput is a validated article with the source it is recorded under.
type webhookInput struct {
	source string
	input  herald.ArticleInput
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	wh := s.opts.Webhook
	if wh.Secret == "" {
		writeError(w, http.StatusServiceUnavailable, "webhook disabled: http.webhook_secret is not set", "")
		return
	}
	if s.opts.Store == nil {
		writeError(w, http.StatusServiceUnavailable, "webhook disabled: no store", "")
		return
	}
	if !isJSONType(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json", "")
		return
	}
	sig := strings.TrimSpace(r.Header.Get(SignatureHeader))
	tsRaw := strings.TrimSpace(r.Header.Get(TimestampHeader))
	ts, tsErr := strconv.ParseInt(tsRaw, 10, 64)
	if sig == "" || tsErr != nil {
		writeError(w, http.StatusUnauthorized, "invalid signature", "")
		return
	}
	if r.ContentLength > maxWebhookBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (at most %d bytes)", maxWebhookBody), "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large (at most %d bytes)", maxWebhookBody), "")
			return
		}
		writeError(w, http.StatusBadRequest, "could not read body", "")
		return
	}
	if !validSignature(wh.Secret, tsRaw, body, sig) {
		s.logger.Warn("webhook: invalid signature", "remote_addr", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "invalid signature", "")
		return
	}
	now := s.opts.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > MaxClockSkew || d < -MaxClockSkew {
		s.logger.Warn("webhook: stale timestamp", "remote_addr", r.RemoteAddr, "skew", d.Round(time.Second))
		writeError(w, http.StatusUnauthorized, "stale timestamp", "")
		return
	}
	items, err := parseWebhookPayload(body)
	if err != nil {
		writeFieldError(w, err)
		return
	}
	inputs, err := s.webhookInputs(items, now)
	if err != nil {
		writeFieldError(w, err)
		return
	}
	fresh, forget, err := s.acceptOnce(r.Context(), replayKey(wh.Secret, tsRaw, body), time.Unix(ts, 0), now)
	if err != nil {
		s.logger.Error("webhook: remember the request", "error", err)
		s.opts.Health.WriteFailed("webhook", err)
		writeError(w, http.StatusInternalServerError, "could not record the articles; retry later", "")
		return
	}
	if !fresh {
		s.logger.Warn("webhook: replayed request refused", "remote_addr", r.RemoteAddr)
		writeError(w, http.StatusConflict, "this signed request was already accepted (replay)", "")
		return
	}
	answer, err := s.saveWebhook(r.Context(), inputs, now)
	if err != nil {
		forget()
		s.logger.Error("webhook: save articles", "error", err)
		s.opts.Health.WriteFailed("webhook", err)
		writeError(w, http.StatusInternalServerError, "could not record the articles; retry later", "")
		return
	}
	writeJSON(w, http.StatusAccepted, answer)
}

func writeFieldError(w http.ResponseWriter, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		writeError(w, http.StatusBadRequest, fe.Msg, fe.Field)
		return
	}
	writeError(w, http.StatusBadRequest, err.Error(), "")
}

// isJSONType accepts application/json and application/*+json, with parameters.
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// Sign returns the X-Herald-Signature value for a body sent at timestamp
// (unix seconds, as sent in X-Herald-Timestamp). Senders in Go and tests use it.
func Sign(secret, timestamp string, body []byte) string {
	return herald.SignWebhook(secret, timestamp, body)
}

// validSignature checks "sha256=<hex>" in constant time.
func validSignature(secret, timestamp string, body []byte, header string) bool {
	return herald.ValidWebhookSignature(secret, timestamp, body, header)
}

// webhookInputs turns parsed items into store inputs: canonical URL, plain
// text, targets checked against the configured accounts, priority, staleness.
func (s *Server) webhookInputs(items []webhookItem, now time.Time) ([]webhookInput, error) {
	wh := s.opts.Webhook
	known := make(map[string]bool, len(wh.Accounts))
	for _, a := range wh.Accounts {
		known[a] = true
	}
	out := make([]webhookInput, 0, len(items))
	for _, it := range items {
		in, source, err := s.webhookInput(it, it.Prefix, known, now)
		if err != nil {
			return nil, err
		}
		out = append(out, webhookInput{source: source, input: in})
	}
	return out, nil
}

func (s *Server) webhookInput(it webhookItem, prefix string, known map[string]bool, now time.Time) (herald.ArticleInput, string, error) {
	wh := s.opts.Webhook
	canon, err := herald.CanonicalURL(strings.TrimSpace(it.URL))
	if err != nil {
		return herald.ArticleInput{}, "", &fieldError{Field: prefix + "url", Msg: "not a valid article URL"}
	}
	title := herald.PlainText(it.Title)
	if title == "" {
		return herald.ArticleInput{}, "", &fieldError{Field: prefix + "title", Msg: "empty once markup is removed"}
	}
	// An edit time ahead of the clock would keep every later edit out.
	if it.UpdatedAt.After(now.Add(MaxClockSkew)) {
		return herald.ArticleInput{}, "", &fieldError{Field: prefix + "updated_at",
			Msg: fmt.Sprintf("in the future (more than %d minutes ahead of the server's clock)", int(MaxClockSkew/time.Minute))}
	}
	in := herald.ArticleInput{
		URL:         canon,
		Title:       title,
		Summary:     it.Summary,
		Author:      it.Author,
		ImageURL:    strings.TrimSpace(it.Image),
		PublishedAt: it.PublishedAt,
		UpdatedAt:   it.UpdatedAt,
		Story:       it.Story,
	}
	for _, c := range it.Categories {
		if c = herald.PlainText(c); c != "" && !slices.Contains(in.Categories, c) {
			in.Categories = append(in.Categories, c)
		}
	}
	source := WebhookSource
	defaults := wh.Targets
	if len(defaults) == 0 {
		defaults = wh.Accounts
	}
	if targets, ok := wh.Sections[it.Section]; ok && it.Section != "" {
		source, defaults = it.Section, targets
	}
	if it.TargetsSet {
		for j, t := range it.Targets {
			if !known[t] {
				return herald.ArticleInput{}, "", &fieldError{Field: fmt.Sprintf("%stargets[%d]", prefix, j), Msg: fmt.Sprintf("unknown account %q", t)}
			}
			if !slices.Contains(in.Targets, t) {
				in.Targets = append(in.Targets, t)
			}
		}
	} else {
		in.Targets = slices.Clone(defaults)
	}
	if in.Targets == nil {
		in.Targets = []string{} // named, even if none: the rules add no default
	}
	// The newsroom signs what it sends: no flood limit, no backlog.
	rules := herald.IntakeRules{Source: source, Breaking: wh.BreakingCategories, MaxAge: wh.MaxAge}
	if wh.Rules != nil {
		rules = wh.Rules(source, rules)
	}
	batch := rules.Prepare([]herald.ArticleInput{in}, now)
	in = batch[0]
	// The payload's own priority wins over the categories.
	switch it.Priority {
	case "breaking":
		in.Priority = herald.PriorityBreaking
	case "normal":
		in.Priority = herald.PriorityNormal
	}
	return in, source, nil
}

// saveWebhook records the articles, one SaveArticles call (one transaction)
// per source, and answers in payload order.
func (s *Server) saveWebhook(ctx context.Context, inputs []webhookInput, now time.Time) (webhookAnswer, error) {
	answer := webhookAnswer{Articles: make([]webhookArticle, len(inputs))}
	order := []string{}
	bySource := map[string][]int{}
	for i, in := range inputs {
		if _, ok := bySource[in.source]; !ok {
			order = append(order, in.source)
		}
		bySource[in.source] = append(bySource[in.source], i)
	}
	jobs := 0
	for _, name := range order {
		id, err := s.sourceID(ctx, name)
		if err != nil {
			return answer, err
		}
		idx := bySource[name]
		batch := make([]herald.ArticleInput, len(idx))
		for k, i := range idx {
			batch[k] = inputs[i].input
		}
		results, err := s.opts.Store.SaveArticles(ctx, id, batch, now)
		if err != nil {
			return answer, fmt.Errorf("source %s: %w", name, err)
		}
		if len(results) != len(batch) {
			return answer, fmt.Errorf("source %s: store returned %d results for %d articles", name, len(results), len(batch))
		}
		for k, i := range idx {
			res := results[k]
			a := webhookArticle{ID: res.Article.ID, URL: res.Article.URL, Section: name,
				New: res.New, Updated: res.Updated, Stale: batch[k].Stale, Jobs: res.Jobs, EditSkipped: res.EditSkipped}
			if a.Jobs == nil {
				a.Jobs = []int64{}
			}
			if a.URL == "" {
				a.URL = batch[k].URL
			}
			answer.Articles[i] = a
			if a.EditSkipped != "" {
				s.logger.Info("webhook: older edit not applied", "article", a.ID, "url", a.URL, "reason", a.EditSkipped)
			}
			jobs += len(res.Jobs)
			result := "existing"
			if res.New {
				result = "new"
			}
			s.metrics.article(result)
		}
	}
	if jobs > 0 && s.opts.Webhook.OnNew != nil {
		s.opts.Webhook.OnNew()
	}
	s.logger.Info("webhook: articles received", "articles", len(inputs), "jobs", jobs)
	return answer, nil
}

// sourceID resolves (and remembers) the store ID of a webhook source.
func (s *Server) sourceID(ctx context.Context, name string) (int64, error) {
	s.sourceMu.Lock()
	id, ok := s.sourceIDs[name]
	s.sourceMu.Unlock()
	if ok {
		return id, nil
	}
	var src herald.Source
	var err error
	if name == WebhookSource {
		src, err = s.opts.Store.PushSource(ctx, name)
	} else {
		src, err = s.opts.Store.GetSource(ctx, name)
	}
	if err != nil {
		return 0, fmt.Errorf("source %s: %w", name, err)
	}
	s.sourceMu.Lock()
	s.sourceIDs[name] = src.ID
	s.sourceMu.Unlock()
	return src.ID, nil
}
