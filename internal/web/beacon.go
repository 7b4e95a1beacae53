package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// pixel is a transparent 1x1 GIF, what the beacon answers.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00" +
	",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// visitorLen is how many bytes of the keyed hash name a visitor.
const visitorLen = 16

// viewBeacon serves the page-view beacon: GET /v/{article} (Herald's article
// ID) or GET /v?url=<the article's URL>. It counts one view per client
// network (IPv4 /24, IPv6 /64), article and UTC day; bots, HEAD requests and
// prefetches are not counted (isBot). Nothing that names a person is stored:
// a visitor is an HMAC of the network, the article and the day under a salt
// of the day that the store forgets two days later, and no cookie is set.
// It always answers the pixel: a page never breaks on its beacon.
type viewBeacon struct {
	store  herald.Store
	now    func() time.Time
	log    func(msg string, args ...any)
	random func([]byte) (int, error) // fills a new day's salt

	mu   sync.Mutex
	day  int64
	salt []byte
}

func newViewBeacon(store herald.Store, now func() time.Time, log func(string, ...any)) *viewBeacon {
	return &viewBeacon{store: store, now: now, log: log, random: rand.Read, day: -1 << 62}
}

// enableViewBeacon adds the beacon's routes to s (public, rate-limited by
// limit).
func (d *dashboard) enableViewBeacon(limit func(http.Handler) http.Handler) {
	b := newViewBeacon(d.s.opts.Store, d.s.opts.Now, d.s.logger.Warn)
	d.s.Handle("GET /v/{article}", limit(b))
	d.s.Handle("GET /v", limit(b))
}

func (b *viewBeacon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isBot(r) {
		if err := b.count(r.Context(), r); err != nil {
			b.log("count view", "error", err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write(pixel)
}

// count records r's view, if it names a known article.
func (b *viewBeacon) count(ctx context.Context, r *http.Request) error {
	id, err := b.article(ctx, r)
	if id == 0 || err != nil {
		return err
	}
	addr, err := netip.ParseAddr(clientIP(r))
	if err != nil {
		return nil // no address, no network to count once
	}
	day := herald.ViewDay(b.now())
	salt, err := b.saltOf(ctx, day)
	if err != nil {
		return err
	}
	_, err = b.store.RecordViews(ctx, []herald.View{{ArticleID: id, Day: day, Visitor: visitor(salt, addr, id, day)}})
	return err
}

// article is the ID of the article r names (0 for none known).
func (b *viewBeacon) article(ctx context.Context, r *http.Request) (int64, error) {
	if s := r.PathValue("article"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return 0, nil
		}
		return id, nil
	}
	u, err := herald.CanonicalURL(r.URL.Query().Get("url"))
	if err != nil {
		return 0, nil
	}
	a, err := b.store.FindArticle(ctx, u)
	if errors.Is(err, herald.ErrNotFound) {
		return 0, nil
	}
	return a.ID, err
}

// saltOf returns day's salt, agreed through the store once per day.
func (b *viewBeacon) saltOf(ctx context.Context, day int64) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.day == day {
		return b.salt, nil
	}
	candidate := make([]byte, 32)
	if _, err := b.random(candidate); err != nil {
		return nil, err
	}
	salt, err := b.store.ViewSalt(ctx, day, candidate)
	if err != nil {
		return nil, err
	}
	b.day, b.salt = day, salt
	return salt, nil
}

// visitor is the keyed hash naming the client network of addr for one
// article and day.
func visitor(salt []byte, addr netip.Addr, article, day int64) []byte {
	addr = addr.Unmap()
	bits := 64
	if addr.Is4() {
		bits = 24
	}
	p, _ := addr.Prefix(bits)
	m := hmac.New(sha256.New, salt)
	prefix, _ := p.MarshalBinary()
	m.Write(prefix)
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(article))
	binary.BigEndian.PutUint64(n[8:], uint64(day))
	m.Write(n[:])
	return m.Sum(nil)[:visitorLen]
}
