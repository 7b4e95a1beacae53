package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

const bskyPostNSID = "app.bsky.feed.post"

type bskyRecordIn struct {
	Type  string `json:"$type"`
	Reply *struct {
		Root, Parent *struct {
			URI string `json:"uri"`
			CID string `json:"cid"`
		}
	} `json:"reply"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Facets    []struct {
		Index struct {
			ByteStart int `json:"byteStart"`
			ByteEnd   int `json:"byteEnd"`
		} `json:"index"`
		Features []struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Embed *struct {
		Type     string `json:"$type"`
		External *struct {
			URI         string  `json:"uri"`
			Title       *string `json:"title"`
			Description *string `json:"description"`
			Thumb       *struct {
				Type string `json:"$type"`
				Ref  struct {
					Link string `json:"$link"`
				} `json:"ref"`
				MimeType string `json:"mimeType"`
				Size     int    `json:"size"`
			} `json:"thumb"`
		} `json:"external"`
	} `json:"embed"`
}

// bcp47RE is the shape of a language tag (the lexicon's "language" format):
// a primary subtag of 2–3 letters (or i-/x- forms) and subtags of up to 8.
var bcp47RE = regexp.MustCompile(`^(?:[a-zA-Z]{2,3}|[ixIX])(?:-[a-zA-Z0-9]{1,8})*$`)

func invalidRecord(msg string) reply {
	return bskyError(http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: "+msg)
}

// validatePost checks a record as the lexicon does, and that each link facet
// covers its link's own text. It returns the post to store or the refusal.
// Caller holds mu.
func (b *Bluesky) validatePost(raw json.RawMessage) (BlueskyPost, *reply) {
	var in bskyRecordIn
	fail := func(msg string) (BlueskyPost, *reply) { r := invalidRecord(msg); return BlueskyPost{}, &r }
	if json.Unmarshal(raw, &in) != nil {
		return fail("Record must be an object")
	}
	switch {
	case in.Type != bskyPostNSID:
		return fail(`Record/$type must be "app.bsky.feed.post"`)
	case uniseg.GraphemeClusterCount(in.Text) > 300:
		return fail("Record/text must not be longer than 300 graphemes")
	case len(in.Text) > 3000:
		return fail("Record/text must not be longer than 3000 characters")
	}
	if _, err := time.Parse(time.RFC3339Nano, in.CreatedAt); err != nil {
		return fail("Record/createdAt must be an valid atproto datetime")
	}
	if len(in.Langs) > 3 {
		return fail("Record/langs must not have more than 3 elements")
	}
	for i, l := range in.Langs {
		if !bcp47RE.MatchString(l) {
			return fail("Record/langs/" + strconv.Itoa(i) + " must be a well-formed BCP 47 language tag")
		}
	}
	p := BlueskyPost{Text: in.Text, CreatedAt: in.CreatedAt, Langs: in.Langs}
	if r := in.Reply; r != nil {
		// The PDS checks the shape; the emulation checks the references as
		// well, since a reply to a wrong CID is not threaded by the AppView.
		for name, ref := range map[string]*struct {
			URI string `json:"uri"`
			CID string `json:"cid"`
		}{"root": r.Root, "parent": r.Parent} {
			if ref == nil || ref.URI == "" || ref.CID == "" {
				return fail("Record/reply/" + name + " must have the properties \"uri\" and \"cid\"")
			}
			if q := b.byURI[ref.URI]; q == nil || q.CID != ref.CID {
				return fail("Record/reply/" + name + " does not refer to a post: " + ref.URI)
			}
		}
		p.ReplyRoot, p.ReplyParent = r.Root.URI, r.Parent.URI
	}
	for i, f := range in.Facets {
		if len(f.Features) == 0 {
			return fail("Record/facets/" + strconv.Itoa(i) + "/features must not be empty")
		}
		s, e := f.Index.ByteStart, f.Index.ByteEnd
		if s < 0 || e <= s || e > len(in.Text) || !utf8.ValidString(in.Text[s:e]) {
			return fail("Record/facets/" + strconv.Itoa(i) + "/index must be a byte range inside text")
		}
		for _, ft := range f.Features {
			switch ft.Type {
			case "app.bsky.richtext.facet#link":
				if u, err := url.Parse(ft.URI); err != nil || u.Scheme == "" {
					return fail("Record/facets/" + strconv.Itoa(i) + "/features/0/uri must be a valid uri")
				}
				// A bare domain's link is the text with https:// before it.
				if covered := in.Text[s:e]; covered != ft.URI && "https://"+covered != ft.URI {
					return fail("Record/facets/" + strconv.Itoa(i) + " must cover its link's text " +
						strconv.Quote(ft.URI) + ", not " + strconv.Quote(covered))
				}
				p.Facets = append(p.Facets, BlueskyFacet{ByteStart: s, ByteEnd: e, Text: in.Text[s:e], URI: ft.URI})
			case "app.bsky.richtext.facet#tag":
				switch {
				case ft.Tag == "" || len(ft.Tag) > 640:
					return fail("Record/facets/" + strconv.Itoa(i) + "/features/0/tag must be 1 to 640 bytes")
				case uniseg.GraphemeClusterCount(ft.Tag) > 64:
					return fail("Record/facets/" + strconv.Itoa(i) + "/features/0/tag must not be longer than 64 graphemes")
				}
				p.Facets = append(p.Facets, BlueskyFacet{ByteStart: s, ByteEnd: e, Text: in.Text[s:e], Tag: ft.Tag})
			}
		}
	}
	if in.Embed != nil {
		if in.Embed.Type != "app.bsky.embed.external" || in.Embed.External == nil || in.Embed.External.URI == "" {
			return fail("Record/embed must be an app.bsky.embed.external with external.uri")
		}
		x := in.Embed.External
		if u, err := url.Parse(x.URI); err != nil || u.Scheme == "" {
			return fail("Record/embed/external/uri must be a valid uri")
		}
		if x.Title == nil || x.Description == nil {
			return fail("Record/embed/external must have the properties \"title\" and \"description\"")
		}
		p.Embed = &BlueskyExternal{URI: x.URI, Title: *x.Title, Description: *x.Description}
		if x.Thumb != nil {
			blob, msg := b.checkThumb(x.Thumb.Type, x.Thumb.Ref.Link, x.Thumb.MimeType, x.Thumb.Size)
			if msg != "" {
				return fail(msg)
			}
			p.Embed.Thumb = &blob
		}
	}
	return p, nil
}

// maxThumbSize is app.bsky.embed.external#external's thumb maxSize.
const maxThumbSize = 1000000

// checkThumb checks a card's thumb as the lexicon and the PDS do: a blob
// ref whose $link is a CIDv1 of a raw blob this account uploaded, with the
// stored blob's mimeType (an image) and size, at most 1,000,000 bytes. It
// returns the blob or what is wrong. Caller holds mu.
func (b *Bluesky) checkThumb(typ, link, mime string, size int) (BlueskyBlob, string) {
	if typ != "blob" {
		return BlueskyBlob{}, `Record/embed/external/thumb should be a blob ref ($type "blob")`
	}
	codec, _, err := parseCID(link)
	if err != nil {
		return BlueskyBlob{}, "Record/embed/external/thumb/ref is not a valid CID: " + err.Error()
	}
	if codec != codecRaw {
		return BlueskyBlob{}, "Record/embed/external/thumb/ref must be the CID of a raw blob"
	}
	blob, ok := b.blobs[link]
	switch {
	case !ok:
		return BlueskyBlob{}, "Could not find blob: " + link
	case mime != blob.MimeType:
		return BlueskyBlob{}, "Referenced Mimetype does not match stored blob. Expected: " + blob.MimeType + ", Got: " + mime
	case size != blob.Size:
		return BlueskyBlob{}, "Referenced size does not match stored blob. Expected: " + strconv.Itoa(blob.Size) + ", Got: " + strconv.Itoa(size)
	case !strings.HasPrefix(blob.MimeType, "image/"):
		return BlueskyBlob{}, "Record/embed/external/thumb mimeType must be an image"
	case blob.Size > maxThumbSize:
		return BlueskyBlob{}, "Record/embed/external/thumb is too big: " + strconv.Itoa(blob.Size) + " bytes, at most 1000000"
	}
	return blob, ""
}

func (b *Bluesky) createRecord(r *http.Request, c *bskyCall) reply {
	fault, delay := b.faults.Decide()
	c.fault = fault
	b.mu.Unlock()
	gone := !faultDelay(r, delay)
	b.mu.Lock()
	switch {
	case gone:
		return reply{drop: true}
	case fault == FaultServerError:
		return bskyError(http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
	case fault == FaultRateLimit:
		rep := bskyError(http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		rep.header.Set("ratelimit-limit", strconv.Itoa(b.opts.WritePoints))
		rep.header.Set("ratelimit-remaining", "0")
		rep.header.Set("ratelimit-reset", strconv.FormatInt(b.opts.Now().Add(b.opts.FaultReset).Unix(), 10))
		return rep
	}
	var in struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		Record     json.RawMessage `json:"record"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Invalid request body")
	}
	a := b.accounts[c.did]
	if in.Repo != a.DID && !strings.EqualFold(in.Repo, a.Handle) {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Invalid repo: not the authenticated account")
	}
	if in.Collection != bskyPostNSID {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Invalid collection")
	}
	p, refusal := b.validatePost(in.Record)
	if refusal != nil {
		return *refusal
	}
	p.DID, p.RKey = a.DID, b.nextTID()
	p.URI = "at://" + a.DID + "/" + bskyPostNSID + "/" + p.RKey
	// A PDS hashes the record's DAG-CBOR; the emulation hashes its JSON,
	// which gives a CID of the same form (CIDv1, dag-cbor, sha2-256).
	p.CID = cidV1(codecDagCBOR, append([]byte(p.URI), in.Record...))
	p.Indexed = b.opts.Now()
	bp := &bskyPost{BlueskyPost: p, record: in.Record}
	b.posts = append(b.posts, bp)
	b.byURI[p.URI] = bp
	rep := b.ok(c.did, true, map[string]any{"uri": p.URI, "cid": p.CID,
		"commit": map[string]string{"cid": cidV1(codecDagCBOR, []byte("commit"+p.URI)), "rev": p.RKey}, "validationStatus": "valid"})
	rep.drop = fault == FaultDrop
	return rep
}

// nextTID returns a new record key: a TID, 13 base32-sortable characters of
// microseconds since the epoch and a clock id, always increasing. Caller holds mu.
func (b *Bluesky) nextTID() string {
	v := uint64(b.opts.Now().UnixMicro())<<10 | uint64(b.rng.UintN(1024))
	if v <= b.lastTID {
		v = b.lastTID + 1
	}
	b.lastTID = v
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	var s [13]byte
	for i := 12; i >= 0; i-- {
		s[i] = alphabet[v&31]
		v >>= 5
	}
	return string(s[:])
}

// deleteRecord deletes a post; deleting one that does not exist succeeds.
func (b *Bluesky) deleteRecord(r *http.Request, c *bskyCall) reply {
	var in struct {
		Repo       string `json:"repo"`
		Collection string `json:"collection"`
		RKey       string `json:"rkey"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.RKey == "" {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Input must have the property \"rkey\"")
	}
	a := b.accounts[c.did]
	if in.Repo != a.DID && !strings.EqualFold(in.Repo, a.Handle) {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Invalid repo: not the authenticated account")
	}
	if p := b.byURI["at://"+a.DID+"/"+in.Collection+"/"+in.RKey]; p != nil {
		p.Deleted = true
	}
	return b.ok(c.did, true, map[string]any{"commit": map[string]string{"cid": cidV1(codecDagCBOR, []byte(in.RKey)), "rev": b.nextTID()}})
}

// getPosts returns the views of up to 25 posts; those that do not exist are
// left out.
func (b *Bluesky) getPosts(r *http.Request, c *bskyCall) reply {
	uris := r.URL.Query()["uris"]
	if len(uris) == 0 || len(uris) > 25 {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "uris must have between 1 and 25 items")
	}
	views := []any{}
	for _, u := range uris {
		if p := b.byURI[u]; p != nil && !p.Deleted {
			views = append(views, b.view(p))
		}
	}
	return b.ok(c.did, false, map[string]any{"posts": views})
}

// getAuthorFeed lists an author's posts newest first; cursor is the rkey of
// the last post of the previous page.
func (b *Bluesky) getAuthorFeed(r *http.Request, c *bskyCall) reply {
	q := r.URL.Query()
	var author *BlueskyAccount
	for _, a := range b.accounts {
		if a.DID == q.Get("actor") || strings.EqualFold(a.Handle, q.Get("actor")) {
			author = a
		}
	}
	if author == nil {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Profile not found")
	}
	limit := 50
	if n, err := strconv.Atoi(q.Get("limit")); err == nil {
		if n < 1 || n > 100 {
			return bskyError(http.StatusBadRequest, "InvalidRequest", "limit must be between 1 and 100")
		}
		limit = n
	}
	cursor := q.Get("cursor")
	feed := []any{}
	last := ""
	for _, p := range slices.Backward(b.posts) {
		if len(feed) == limit {
			break
		}
		if p.DID != author.DID || p.Deleted || (cursor != "" && p.RKey >= cursor) {
			continue
		}
		feed = append(feed, map[string]any{"post": b.view(p)})
		last = p.RKey
	}
	body := map[string]any{"feed": feed}
	if len(feed) == limit {
		body["cursor"] = last
	}
	return b.ok(c.did, false, body)
}

// view is a post's app.bsky.feed.defs#postView. Caller holds mu.
func (b *Bluesky) view(p *bskyPost) map[string]any {
	if b.simulate && !p.set {
		p.Engagement.Likes += int64(b.rng.IntN(4))
		p.Engagement.Reposts += int64(b.rng.IntN(2))
		p.Engagement.Quotes += int64(b.rng.IntN(2)) * int64(b.rng.IntN(2))
		p.Engagement.Replies += int64(b.rng.IntN(2))
	}
	a := b.accounts[p.DID]
	v := map[string]any{
		"uri": p.URI, "cid": p.CID, "author": map[string]any{"did": p.DID, "handle": a.Handle},
		"record": p.record, "replyCount": p.Engagement.Replies, "repostCount": p.Engagement.Reposts,
		"likeCount": p.Engagement.Likes, "quoteCount": p.Engagement.Quotes,
		"indexedAt": p.Indexed.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	if e := p.Embed; e != nil {
		ext := map[string]any{"uri": e.URI, "title": e.Title, "description": e.Description}
		if e.Thumb != nil {
			ext["thumb"] = "https://cdn.bsky.app/img/feed_thumbnail/plain/" + p.DID + "/" + e.Thumb.CID + "@jpeg"
		}
		v["embed"] = map[string]any{"$type": "app.bsky.embed.external#view", "external": ext}
	}
	return v
}

// Posts returns every post made, deleted ones included, oldest first.
func (b *Bluesky) Posts() []BlueskyPost {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BlueskyPost, len(b.posts))
	for i, p := range b.posts {
		out[i] = p.BlueskyPost
	}
	return out
}

// SetEngagement sets a post's counters; they replace any simulation for it.
func (b *Bluesky) SetEngagement(uri string, e BlueskyEngagement) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.byURI[uri]; p != nil {
		p.Engagement, p.set = e, true
	}
}

// SimulateEngagement makes counters of posts without SetEngagement grow a
// little on every read, as a sandbox shows them.
func (b *Bluesky) SimulateEngagement(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.simulate = on
}
