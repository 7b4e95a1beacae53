package emulator

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// graphField is one entry of a fields= expansion such as
// "reactions.summary(total_count).limit(0)" or "from{id,name}".
type graphField struct {
	name      string
	modifiers map[string]string // summary -> "total_count", limit -> "0"
	sub       []graphField
}

// parseFields parses Graph's field expansion syntax.
func parseFields(s string) ([]graphField, error) {
	var out []graphField
	for _, part := range splitTop(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f, err := parseField(part)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseField(s string) (graphField, error) {
	f := graphField{modifiers: map[string]string{}}
	if i := strings.IndexByte(s, '{'); i >= 0 {
		if !strings.HasSuffix(s, "}") {
			return f, fmt.Errorf("Syntax error \"Expected \"}\" instead of end of string.\" at character %d: %s", len(s), s)
		}
		sub, err := parseFields(s[i+1 : len(s)-1])
		if err != nil {
			return f, err
		}
		f.sub, s = sub, s[:i]
	}
	name, rest, _ := strings.Cut(s, ".")
	f.name = name
	for rest != "" {
		open := strings.IndexByte(rest, '(')
		end := strings.IndexByte(rest, ')')
		if open <= 0 || end < open {
			return f, fmt.Errorf("Syntax error \"Expected \"(\".\" at character %d: %s", len(name)+1, s)
		}
		f.modifiers[rest[:open]] = rest[open+1 : end]
		rest = strings.TrimPrefix(rest[end+1:], ".")
	}
	return f, nil
}

// splitTop splits on commas outside parentheses and braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// fieldsParam parses r's fields= or returns the node type's defaults.
func fieldsParam(raw string, defaults string) ([]graphField, *graphErr) {
	if raw == "" {
		raw = defaults
	}
	fs, err := parseFields(raw)
	if err != nil {
		return nil, errParam(err.Error())
	}
	return fs, nil
}

// graphTime formats a time as Graph does: ISO 8601 with a +0000 offset, or
// RFC 3339 when date_format asks for it (huandu's RFC3339Timestamps).
func graphTime(t time.Time, dateFormat string) string {
	if dateFormat != "" {
		return t.UTC().Format(time.RFC3339)
	}
	return t.UTC().Format("2006-01-02T15:04:05-0700")
}

// renderPost renders a post node with the requested fields. g.mu is held.
func (g *Graph) renderPost(p *graphPost, fields []graphField, dateFormat string) (map[string]any, *graphErr) {
	if g.simulate {
		g.growEngagement(p)
	}
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "id":
			out["id"] = p.ID
		case "message":
			if p.Message != "" {
				out["message"] = p.Message
			}
		case "attachments":
			att, gerr := renderAttachments(p, f)
			if gerr != nil {
				return nil, gerr
			}
			if att != nil {
				out["attachments"] = att
			}
		case "created_time":
			out["created_time"] = graphTime(p.Created, dateFormat)
		case "updated_time":
			out["updated_time"] = graphTime(p.Created, dateFormat)
		case "permalink_url":
			_, post, _ := strings.Cut(p.ID, "_")
			out["permalink_url"] = "https://www.facebook.com/" + p.PageID + "/posts/" + post
		case "is_published":
			out["is_published"] = p.Published
		case "scheduled_publish_time":
			if !p.ScheduledAt.IsZero() {
				out["scheduled_publish_time"] = p.ScheduledAt.Unix()
			}
		case "from":
			out["from"] = map[string]any{"id": p.PageID, "name": g.pages[p.PageID].Name}
		case "shares":
			if p.Engagement.Shares > 0 { // Graph leaves shares out when there are none
				out["shares"] = map[string]any{"count": p.Engagement.Shares}
			}
		case "reactions", "likes":
			out[f.name] = edgeSummary(f, p.Engagement.Reactions, map[string]any{"viewer_reaction": "NONE"})
		case "comments":
			out["comments"] = edgeSummary(f, p.Engagement.Comments, map[string]any{"order": "ranked", "can_comment": true})
		default:
			if pagePostDeprecated[f.name] {
				g.viol.add("graph: deprecated Page post field %q", f.name)
				return nil, errDeprecatedField(f.name, "v3.3")
			}
			g.viol.add("graph: nonexistent Page post field %q", f.name)
			return nil, errParam(fmt.Sprintf("Tried accessing nonexisting field (%s) on node type (PagePost)", f.name))
		}
	}
	return out, nil
}

// pagePostDeprecated are the Page post fields the Post reference lists as
// deprecated since v3.3 for /page/feed, /page/posts, /page/published_posts
// and the post node: Graph answers them with error 12, not with data.
var pagePostDeprecated = map[string]bool{
	"caption": true, "description": true, "link": true, "name": true,
	"object_id": true, "source": true, "type": true,
}

// renderAttachments renders the attachments edge of a post that carries a
// link, with the StoryAttachment fields asked for: url and target.url are
// Facebook's l.facebook.com redirect, unshimmed_url is the link as posted.
func renderAttachments(p *graphPost, f graphField) (map[string]any, *graphErr) {
	sub := f.sub
	if len(sub) == 0 {
		sub, _ = parseFields("media_type,target,type,url,unshimmed_url")
	}
	if p.Link == "" {
		return nil, nil
	}
	shim := "https://l.facebook.com/l.php?u=" + url.QueryEscape(p.Link) + "&h=AT0"
	att := map[string]any{}
	for _, s := range sub {
		switch s.name {
		case "url":
			att["url"] = shim
		case "unshimmed_url":
			att["unshimmed_url"] = p.Link
		case "type":
			att["type"] = "share"
		case "media_type":
			att["media_type"] = "link"
		case "title":
			att["title"] = p.Link
		case "target":
			target := map[string]any{}
			tsub := s.sub
			if len(tsub) == 0 {
				tsub, _ = parseFields("id,url")
			}
			for _, ts := range tsub {
				switch ts.name {
				case "url":
					target["url"] = shim
				case "id":
					// a share's target has no object id
				default:
					return nil, errParam(fmt.Sprintf("Tried accessing nonexisting field (%s) on node type (StoryAttachmentTarget)", ts.name))
				}
			}
			att["target"] = target
		default:
			return nil, errParam(fmt.Sprintf("Tried accessing nonexisting field (%s) on node type (StoryAttachment)", s.name))
		}
	}
	return map[string]any{"data": []any{att}}, nil
}

// edgeSummary renders a connection asked for with .summary(...).limit(0):
// the emulation keeps counts, not the items themselves.
func edgeSummary(f graphField, total int64, extra map[string]any) map[string]any {
	out := map[string]any{"data": []any{}}
	if s, ok := f.modifiers["summary"]; ok && s != "false" && s != "0" {
		sum := map[string]any{"total_count": total}
		for k, v := range extra {
			sum[k] = v
		}
		out["summary"] = sum
	}
	return out
}

// renderPage renders a page node. g.mu is held.
func (g *Graph) renderPage(p *GraphPage, fields []graphField) (map[string]any, *graphErr) {
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "id":
			out["id"] = p.ID
		case "name":
			out["name"] = p.Name
		case "link":
			out["link"] = "https://www.facebook.com/" + p.ID
		case "category":
			out["category"] = "Newspaper"
		default:
			return nil, errParam(fmt.Sprintf("Tried accessing nonexisting field (%s) on node type (Page)", f.name))
		}
	}
	return out, nil
}

// growEngagement makes a post's counters grow a little, as a live post's do.
func (g *Graph) growEngagement(p *graphPost) {
	p.Engagement.Reactions += int64(g.rng.IntN(6))
	p.Engagement.Shares += int64(g.rng.IntN(3))
	p.Engagement.Comments += int64(g.rng.IntN(3))
}
