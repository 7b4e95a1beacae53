package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/heraldhq/herald/internal/herald"
)

// FieldError is one problem with one key, e.g.
// {Key: "sources[2].interval", Message: "must be a positive duration"}.
type FieldError struct {
	Key     string
	Message string
}

// Error returns "key: message".
func (e FieldError) Error() string {
	if e.Key == "" {
		return e.Message
	}
	return e.Key + ": " + e.Message
}

// ValidationError lists every problem found in a configuration. Commands
// exit with status 2 on it.
type ValidationError struct {
	File   string // the file read, if any
	Errors []FieldError
}

// Error returns the problems, one per line after the first.
func (e *ValidationError) Error() string {
	where := "configuration"
	if e.File != "" {
		where = e.File
	}
	if len(e.Errors) == 1 {
		return fmt.Sprintf("%s: %s", where, e.Errors[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", where, len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  " + fe.Error())
	}
	return b.String()
}

// Has reports whether a problem names key.
func (e *ValidationError) Has(key string) bool {
	return slices.ContainsFunc(e.Errors, func(fe FieldError) bool { return fe.Key == key })
}

// checker collects problems.
type checker struct {
	errs []FieldError
	// connected are the accounts whose credentials are stored (by `herald
	// accounts connect`): their credential keys may be left empty.
	connected map[string]bool
}

func (c *checker) add(key, format string, args ...any) {
	c.errs = append(c.errs, FieldError{key, fmt.Sprintf(format, args...)})
}

func (c *checker) positive(key string, d time.Duration) {
	if d <= 0 {
		c.add(key, "must be a positive duration")
	}
}

func (c *checker) notNegative(key string, d time.Duration) {
	if d < 0 {
		c.add(key, "must not be negative")
	}
}

func (c *checker) atLeast(key string, v, lowest int64) {
	if v < lowest {
		c.add(key, "must be at least %d", lowest)
	}
}

func (c *checker) amount(key string, v float64) {
	if v < 0 {
		c.add(key, "must not be negative")
	}
}

func (c *checker) oneOf(key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		c.add(key, "must be one of %s (got %q)", strings.Join(allowed, ", "), v)
	}
}

// httpURL checks an absolute http(s) URL.
func (c *checker) httpURL(key, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(key, "must be an absolute http or https URL (got %q)", herald.RedactURL(v))
	}
}

// namePattern is what source names and account ids may hold: they appear
// in environment variable names, URLs and CLI arguments.
var namePattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// Validate checks every key and returns a *ValidationError listing each
// problem, or nil.
func (c *Config) Validate() error { return c.ValidateConnected(nil) }

// ValidateConnected is Validate for a configuration whose accounts in
// connected have credentials stored by `herald accounts connect`: their
// credential keys may be empty.
func (c *Config) ValidateConnected(connected map[string]bool) error {
	ch := checker{connected: connected}
	c.validateCore(&ch)
	c.validateSources(&ch)
	for _, id := range sortedKeys(c.Accounts) {
		c.validateAccount(&ch, id, c.Accounts[id])
	}
	if len(ch.errs) == 0 {
		return nil
	}
	return &ValidationError{File: c.File, Errors: ch.errs}
}

func (c *Config) validateCore(ch *checker) {
	validateDatabaseURL(ch, c.Database.URL)
	c.validateSecrets(ch)
	ch.atLeast("connect.callback_port", int64(c.Connect.CallbackPort), 1)
	if c.Connect.CallbackPort > 65535 {
		ch.add("connect.callback_port", "must be a port between 1 and 65535 (got %d)", c.Connect.CallbackPort)
	}
	if host, port, err := net.SplitHostPort(c.HTTP.Addr); err != nil || !validPort(port) || strings.ContainsAny(host, "/ ") {
		ch.add("http.addr", "must be host:port, like 127.0.0.1:8080 (got %q)", c.HTTP.Addr)
	}
	ch.httpURL("http.public_url", c.HTTP.PublicURL)
	c.checkTargets(ch, "http.webhook_targets", c.HTTP.WebhookTargets)
	c.validateHTTPSecurity(ch)

	ch.positive("publish.max_age", c.Publish.MaxAge)
	ch.atLeast("publish.backfill", int64(c.Publish.Backfill), 0)
	ch.atLeast("publish.max_new_per_poll", int64(c.Publish.MaxNewPerPoll), 0)
	c.validateReviewNotify(ch)

	ch.positive("feed.timeout", c.Feed.Timeout)
	ch.atLeast("feed.max_body", c.Feed.MaxBody, 1)
	ch.atLeast("feed.concurrency", int64(c.Feed.Concurrency), 1)
	if strings.TrimSpace(c.Feed.UserAgent) == "" {
		ch.add("feed.user_agent", "must not be empty")
	}
	ch.positive("feed.max_backoff", c.Feed.MaxBackoff)

	ch.positive("dispatch.lease", c.Dispatch.Lease)
	ch.atLeast("dispatch.max_attempts", int64(c.Dispatch.MaxAttempts), 1)
	ch.positive("dispatch.retry_for", c.Dispatch.RetryFor)
	ch.atLeast("dispatch.concurrency", int64(c.Dispatch.Concurrency), 1)
	ch.positive("dispatch.timeout", c.Dispatch.Timeout)
	if d := c.Dispatch; d.Timeout > 0 && d.Lease > 0 && d.Timeout >= d.Lease {
		ch.add("dispatch.timeout", "must be shorter than dispatch.lease (%s), or a call could outlive its job's lease (got %s)",
			herald.ShortDuration(d.Lease), herald.ShortDuration(d.Timeout))
	}
	ch.positive("dispatch.shutdown_wait", c.Dispatch.ShutdownWait)
	c.validateDispatchWaits(ch)

	ch.positive("ranking.collect_interval", c.Ranking.CollectInterval)
	ch.positive("ranking.collect_for", c.Ranking.CollectFor)
	w := c.Ranking.Weights
	ch.amount("ranking.weights.shares", w.Shares)
	ch.amount("ranking.weights.comments", w.Comments)
	ch.amount("ranking.weights.reactions", w.Reactions)
	ch.amount("ranking.weights.clicks", w.Clicks)

	e := c.Evergreen
	if e.Schedule != "" {
		if _, err := cron.ParseStandard(e.Schedule); err != nil {
			ch.add("evergreen.schedule", "must be a cron schedule like \"0 10 * * 1-5\": %v", err)
		}
		ch.atLeast("evergreen.count", int64(e.Count), 1)
	} else {
		ch.atLeast("evergreen.count", int64(e.Count), 0)
	}
	ch.notNegative("evergreen.min_gap", e.MinGap)
	ch.positive("evergreen.since", e.Since)
	ch.oneOf("evergreen.by", e.By, "score", "shares", "reactions", "comments", "clicks")
	ch.notNegative("evergreen.min_age", e.MinAge)

	ch.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	ch.oneOf("log.format", c.Log.Format, "auto", "text", "json")
}

// validateDispatchWaits checks the dispatcher's retry, reconciliation and
// rate-limit waits.
func (c *Config) validateDispatchWaits(ch *checker) {
	d := c.Dispatch
	ch.positive("dispatch.backoff_base", d.BackoffBase)
	ch.positive("dispatch.backoff_max", d.BackoffMax)
	if d.BackoffBase > 0 && d.BackoffMax > 0 && d.BackoffBase > d.BackoffMax {
		ch.add("dispatch.backoff_base", "must not exceed dispatch.backoff_max (%s) (got %s)",
			herald.ShortDuration(d.BackoffMax), herald.ShortDuration(d.BackoffBase))
	}
	ch.positive("dispatch.reconcile_delay", d.ReconcileDelay)
	ch.positive("dispatch.reconcile_window", d.ReconcileWindow)
	ch.positive("dispatch.rate_limit_wait", d.RateLimitWait)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

func validateDatabaseURL(ch *checker, v string) {
	switch {
	case strings.HasPrefix(v, "sqlite:"):
		if strings.TrimPrefix(v, "sqlite:") == "" {
			ch.add("database.url", "must name a file after sqlite: (like sqlite:data/herald.db)")
		}
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if _, err := url.Parse(v); err != nil {
			ch.add("database.url", "must be a valid postgres:// URL")
		}
	default:
		ch.add("database.url", "must start with sqlite: or postgres://")
	}
}

func (c *Config) validateSources(ch *checker) {
	seen := make(map[string]int)
	for i, s := range c.Sources {
		key := indexKey("sources", i)
		switch {
		case s.Name == "":
			ch.add(key+".name", "must be set")
		case !namePattern.MatchString(s.Name):
			ch.add(key+".name", "must use only a-z, 0-9, _ and - (got %q)", s.Name)
		}
		if j, dup := seen[s.Name]; dup && s.Name != "" {
			ch.add(key+".name", "%q is already the name of sources[%d]", s.Name, j)
		} else {
			seen[s.Name] = i
		}
		validateSourceURL(ch, key+".url", s.URL)
		ch.positive(key+".interval", s.Interval)
		if len(s.Targets) == 0 {
			ch.add(key+".targets", "must name at least one account")
		}
		c.checkTargets(ch, key+".targets", s.Targets)
		c.checkSourceFilters(ch, key, s)
	}
}

func validateSourceURL(ch *checker, key, v string) {
	u, err := url.Parse(v)
	switch {
	case v == "":
		ch.add(key, "must be set")
	case err != nil:
		// The parse error quotes the URL, which may carry a key.
		ch.add(key, "must be a valid URL: %v", errors.Unwrap(err))
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" {
			ch.add(key, "must name a host (got %q)", herald.RedactURL(v))
		}
	case u.Scheme == "file":
		if u.Host+u.Path+u.Opaque == "" {
			ch.add(key, "must name a file (got %q)", v)
		}
	default:
		ch.add(key, "must be an http, https or file URL (got %q)", herald.RedactURL(v))
	}
}

// checkTargets checks that every entry names a configured account, once.
func (c *Config) checkTargets(ch *checker, key string, targets []string) {
	for i, t := range targets {
		if _, ok := c.Accounts[t]; !ok {
			ch.add(indexKey(key, i), "names no account (%q is not under accounts%s)", t, closestAccount(t, c.Accounts))
		}
		if slices.Index(targets, t) < i {
			ch.add(indexKey(key, i), "%q is listed twice", t)
		}
	}
}

// closestAccount is "; did you mean "x_main"?" when an account id is a
// likely typo of id, and "" otherwise.
func closestAccount(id string, accounts map[string]Account) string {
	best, bestDist := "", 3
	for _, a := range sortedKeys(accounts) {
		if d := editDistance(id, a); d < bestDist {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// MinSecretLength is the shortest http.admin_token or http.webhook_secret
// accepted: long enough that guessing it, even unthrottled, is hopeless.
const MinSecretLength = 24

// validateHTTPSecurity checks what keeps the HTTP server safe on an open
// network.
func (c *Config) validateHTTPSecurity(ch *checker) {
	// Without a token the dashboard trusts the loopback listener alone.
	if c.HTTP.AdminToken == "" && c.HTTP.Addr != "" && !herald.IsLoopbackAddr(c.HTTP.Addr) {
		ch.add("http.admin_token", "must be set when http.addr listens beyond loopback (got http.addr %q): "+
			"set HERALD_HTTP_ADMIN_TOKEN to a long random value, or listen on 127.0.0.1", c.HTTP.Addr)
	}
	for _, kv := range [][2]string{{"http.webhook_secret", c.HTTP.WebhookSecret}, {"http.admin_token", c.HTTP.AdminToken}} {
		if v := kv[1]; v != "" && len(v) < MinSecretLength {
			ch.add(kv[0], "must be at least %d characters (got %d); generate one with: openssl rand -hex 24",
				MinSecretLength, len(v))
		}
	}
}

// validateReviewNotify checks the review timeout and the alert webhooks.
func (c *Config) validateReviewNotify(ch *checker) {
	ch.notNegative("publish.review_timeout", c.Publish.ReviewTimeout)
	ch.oneOf("publish.review_timeout_action", c.Publish.ReviewTimeoutAction, "send", "drop")
	n := c.Notify
	ch.positive("notify.interval", n.Interval)
	ch.positive("notify.feed_failing_for", n.FeedFailingFor)
	ch.positive("notify.token_warning", n.TokenWarning)
	for i, w := range n.Webhooks {
		key := indexKey("notify.webhooks", i)
		// The URL is not echoed: a Slack webhook's URL is its secret.
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ch.add(key+".url", "must be an absolute http or https URL")
		}
		ch.oneOf(key+".format", w.Format, "slack", "mattermost", "json")
		if w.Format == "json" && w.Secret == "" {
			ch.add(key+".secret", "must be set for format json (the body is signed with it)")
		}
	}
}
