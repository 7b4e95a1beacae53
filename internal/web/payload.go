package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Payload limits. The body is capped at maxWebhookBody before parsing, so
// these bound what one request can make the store do.
const (
	maxWebhookBody  = 1 << 20
	maxItems        = 1000
	maxURLLen       = 4096
	maxTitleLen     = 2000
	maxCategories   = 50
	maxTargets      = 50
	maxCategoryLen  = 200
	maxTargetLen    = 200
	maxSectionLen   = 200
	maxAuthorLen    = 500
	maxPublishedAge = 100 * 365 * 24 * time.Hour
	maxPostTextLen  = 5000
	maxHashtags     = 30
	maxHashtagLen   = 100
)

// webhookItem is one article of a webhook payload, after validation of its
// shape (strings are raw; plain-text conversion and canonicalisation come later).
type webhookItem struct {
	URL         string
	Title       string
	Summary     string
	Author      string
	Section     string
	Categories  []string
	Image       string
	PublishedAt time.Time // zero when not given
	Targets     []string
	TargetsSet  bool   // "targets" was present (an empty list means: record, post nowhere)
	Priority    string // "", "breaking" or "normal"
	// Story holds the per-story instructions: text (for all networks or
	// per network), no_post, post_at, hashtags, review.
	Story herald.Instructions
	// Prefix names the item in field errors: "" for a lone object, "[3]." in an array.
	Prefix string
}

// fieldError is a payload error that names the field at fault, e.g. "[1].url".
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// webhookFields are the keys an article object may have; any other key is
// refused, so a misspelt "target" cannot silently post to the default accounts.
var webhookFields = map[string]bool{
	"url": true, "title": true, "summary": true, "author": true, "section": true,
	"categories": true, "image": true, "published_at": true, "targets": true, "priority": true,
	"text": true, "no_post": true, "post_at": true, "hashtags": true, "review": true,
}

// parseWebhookPayload parses a webhook body: one article object or an array
// of them. The error, when not nil, is a *fieldError.
func parseWebhookPayload(body []byte) ([]webhookItem, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &fieldError{Msg: "empty body: expected a JSON object or array"}
	}
	if trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := strictUnmarshal(body, &raws); err != nil {
			return nil, &fieldError{Msg: "invalid JSON: " + jsonMessage(err)}
		}
		if len(raws) == 0 {
			return nil, &fieldError{Msg: "empty array: expected at least one article"}
		}
		if len(raws) > maxItems {
			return nil, &fieldError{Msg: fmt.Sprintf("too many articles: %d (at most %d per request)", len(raws), maxItems)}
		}
		items := make([]webhookItem, 0, len(raws))
		for i, raw := range raws {
			it, err := parseItem(raw, fmt.Sprintf("[%d].", i))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
		return items, nil
	}
	if trimmed[0] != '{' {
		return nil, &fieldError{Msg: "expected a JSON object or array"}
	}
	var raw json.RawMessage
	if err := strictUnmarshal(body, &raw); err != nil {
		return nil, &fieldError{Msg: "invalid JSON: " + jsonMessage(err)}
	}
	it, err := parseItem(raw, "")
	if err != nil {
		return nil, err
	}
	return []webhookItem{it}, nil
}

// strictUnmarshal decodes exactly one JSON value, refusing trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the top-level value")
	}
	return nil
}

// jsonMessage drops encoding/json's "json: " prefix.
func jsonMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

func parseItem(raw json.RawMessage, prefix string) (webhookItem, error) {
	it := webhookItem{Prefix: prefix}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return it, &fieldError{Field: strings.TrimSuffix(prefix, "."), Msg: "expected an article object"}
	}
	// Report unknown keys in a stable order (the first in the input would need
	// a token scan; the alphabetically first is as useful to the sender).
	var unknown string
	for k := range obj {
		if !webhookFields[k] && (unknown == "" || k < unknown) {
			unknown = k
		}
	}
	if unknown != "" {
		return it, &fieldError{Field: prefix + unknown, Msg: "unknown field"}
	}
	var err error
	str := func(key string, max int, required bool) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = stringField(obj, prefix, key, max, required)
		return s
	}
	it.URL = str("url", maxURLLen, true)
	it.Title = str("title", maxTitleLen, true)
	it.Summary = str("summary", 0, false)
	it.Author = str("author", maxAuthorLen, false)
	it.Section = str("section", maxSectionLen, false)
	it.Image = str("image", maxURLLen, false)
	it.Priority = str("priority", 0, false)
	if err != nil {
		return it, err
	}
	if err := checkHTTPURL(it.URL); err != nil {
		return it, &fieldError{Field: prefix + "url", Msg: err.Error()}
	}
	if it.Image != "" {
		if err := checkHTTPURL(it.Image); err != nil {
			return it, &fieldError{Field: prefix + "image", Msg: err.Error()}
		}
	}
	if strings.TrimSpace(it.Title) == "" {
		return it, &fieldError{Field: prefix + "title", Msg: "must not be empty"}
	}
	switch it.Priority {
	case "", "breaking", "normal":
	default:
		return it, &fieldError{Field: prefix + "priority", Msg: `must be "breaking" or "normal"`}
	}
	if it.Categories, _, err = stringList(obj, prefix, "categories", maxCategories, maxCategoryLen); err != nil {
		return it, err
	}
	if it.Targets, it.TargetsSet, err = stringList(obj, prefix, "targets", maxTargets, maxTargetLen); err != nil {
		return it, err
	}
	if it.PublishedAt, err = timeField(obj, prefix, "published_at"); err != nil {
		return it, err
	}
	it.Story, err = parseInstructions(obj, prefix)
	return it, err
}

// postTextNetworks are the keys of a "text" object: the networks, "x"
// for twitter.
var postTextNetworks = map[string]herald.Network{
	"twitter": herald.Twitter, "x": herald.Twitter, "facebook": herald.Facebook,
	"mastodon": herald.Mastodon, "bluesky": herald.Bluesky, "all": "",
}

// parseInstructions reads a story's instructions for its posts: "text" (a
// string for every network, or an object by network), "no_post", "post_at",
// "hashtags" and "review".
func parseInstructions(obj map[string]json.RawMessage, prefix string) (herald.Instructions, error) {
	var in herald.Instructions
	if raw, ok := obj["text"]; ok && !isNull(raw) {
		var all string
		var byNetwork map[string]string
		switch {
		case json.Unmarshal(raw, &all) == nil:
			byNetwork = map[string]string{"": all}
		case json.Unmarshal(raw, &byNetwork) == nil:
		default:
			return in, &fieldError{Field: prefix + "text", Msg: "must be a string, or an object of strings by network"}
		}
		in.Text = make(map[string]string, len(byNetwork))
		for _, k := range slices.Sorted(maps.Keys(byNetwork)) {
			net, known := postTextNetworks[k]
			if k != "" && !known {
				return in, &fieldError{Field: prefix + "text." + k, Msg: "unknown network (all, twitter, x, facebook, mastodon, bluesky)"}
			}
			if len(byNetwork[k]) > maxPostTextLen {
				return in, &fieldError{Field: strings.TrimSuffix(prefix+"text."+k, "."), Msg: fmt.Sprintf("too long (at most %d bytes)", maxPostTextLen)}
			}
			in.Text[string(net)] = byNetwork[k]
		}
	}
	var err error
	if in.Hashtags, _, err = stringList(obj, prefix, "hashtags", maxHashtags, maxHashtagLen); err != nil {
		return in, err
	}
	for i, h := range in.Hashtags {
		if strings.TrimSpace(strings.TrimPrefix(h, "#")) == "" || strings.ContainsAny(strings.TrimSpace(h), " \t\r\n") {
			return in, &fieldError{Field: fmt.Sprintf("%shashtags[%d]", prefix, i), Msg: "must be one word, like \"#Elections\""}
		}
	}
	if len(in.Hashtags) > 0 && len(in.Text) == 0 {
		return in, &fieldError{Field: prefix + "hashtags", Msg: "needs text: they are added at the end of the story's own text"}
	}
	if in.NoPost, err = boolField(obj, prefix, "no_post"); err != nil {
		return in, err
	}
	if in.Review, err = boolField(obj, prefix, "review"); err != nil {
		return in, err
	}
	if in.PostAt, err = timeField(obj, prefix, "post_at"); err != nil {
		return in, err
	}
	return in, nil
}

// boolField reads an optional boolean; null counts as absent (false).
func boolField(obj map[string]json.RawMessage, prefix, key string) (bool, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, &fieldError{Field: prefix + key, Msg: "must be true or false"}
	}
	return b, nil
}

// timeField reads an optional time (parseTime); null counts as absent
// (the zero time).
func timeField(obj map[string]json.RawMessage, prefix, key string) (time.Time, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return time.Time{}, nil
	}
	t, err := parseTime(raw)
	if err != nil {
		return time.Time{}, &fieldError{Field: prefix + key, Msg: err.Error()}
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// stringField reads an optional (or required) string; null counts as absent.
func stringField(obj map[string]json.RawMessage, prefix, key string, max int, required bool) (string, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		if required {
			return "", &fieldError{Field: prefix + key, Msg: "required"}
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &fieldError{Field: prefix + key, Msg: "must be a string"}
	}
	if required && strings.TrimSpace(s) == "" {
		return "", &fieldError{Field: prefix + key, Msg: "required"}
	}
	if max > 0 && len(s) > max {
		return "", &fieldError{Field: prefix + key, Msg: fmt.Sprintf("too long (at most %d bytes)", max)}
	}
	return s, nil
}

// stringList reads an optional array of strings; present reports whether the
// key was there (null counts as absent).
func stringList(obj map[string]json.RawMessage, prefix, key string, maxLen, maxEach int) (list []string, present bool, err error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return nil, false, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, true, &fieldError{Field: prefix + key, Msg: "must be an array of strings"}
	}
	if len(elems) > maxLen {
		return nil, true, &fieldError{Field: prefix + key, Msg: fmt.Sprintf("too many entries (at most %d)", maxLen)}
	}
	list = make([]string, 0, len(elems))
	for i, e := range elems {
		var s string
		if err := json.Unmarshal(e, &s); err != nil || isNull(e) {
			return nil, true, &fieldError{Field: fmt.Sprintf("%s%s[%d]", prefix, key, i), Msg: "must be a string"}
		}
		if len(s) > maxEach {
			return nil, true, &fieldError{Field: fmt.Sprintf("%s%s[%d]", prefix, key, i), Msg: fmt.Sprintf("too long (at most %d bytes)", maxEach)}
		}
		list = append(list, s)
	}
	return list, true, nil
}

// parseTime accepts RFC 3339 text or unix seconds (a JSON number).
func parseTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return time.Time{}, fmt.Errorf("must be RFC 3339 (2026-01-02T15:04:05Z) or unix seconds")
		}
		return checkTimeRange(t)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, fmt.Errorf("must be RFC 3339 text or unix seconds")
	}
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		if i <= 0 || i > math.MaxInt64/int64(time.Second) {
			return time.Time{}, fmt.Errorf("unix seconds out of range")
		}
		return checkTimeRange(time.Unix(i, 0).UTC())
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || f <= 0 || f > float64(math.MaxInt64/int64(time.Second)) || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("unix seconds out of range")
	}
	sec, frac := math.Modf(f)
	return checkTimeRange(time.Unix(int64(sec), int64(frac*1e9)).UTC())
}

// checkTimeRange refuses times no newsroom can mean (before 1970, or so far
// ahead that a bug in the sender is likelier than a schedule).
func checkTimeRange(t time.Time) (time.Time, error) {
	if t.Before(time.Unix(0, 0)) || t.After(time.Unix(0, 0).Add(maxPublishedAge)) {
		return time.Time{}, fmt.Errorf("out of range")
	}
	return t, nil
}

// checkHTTPURL accepts absolute http and https URLs with a host.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("must have a host")
	}
	return nil
}
