package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

func encodeCategories(c []string) string {
	if len(c) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(c) // a []string always marshals
	return string(b)
}

func decodeCategories(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var c []string
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	return c, nil
}

// Lookups of SaveArticles (plan_test.go checks that each is an index search).
const (
	qArticleByURL = `SELECT ` + sqlstore.ArticleCols + ` FROM articles a WHERE a.id = (
		SELECT id FROM articles WHERE url = ?1 UNION ALL SELECT article_id FROM article_urls WHERE url = ?1 LIMIT 1)`
	// guid <> '' lets article_sources_guid serve.
	qArticleByGUID = `SELECT ` + sqlstore.ArticleCols + ` FROM articles a WHERE a.id = (
		SELECT article_id FROM article_sources WHERE source_id = ? AND guid = ? AND guid <> '')`
	// qMatch finds an item's article in one search: by canonical URL (current
	// or earlier), else by GUID in this source; with whether the URL matched
	// and the article's link to this source (its GUID, NULL when unlinked);
	// then 0, the item's index as qMatchAll gives it (see scanMatch).
	qMatch = `SELECT ` + sqlstore.ArticleCols + `, m.by_url, x.guid, 0 FROM (
			SELECT id, 1 AS by_url FROM articles WHERE url = ?1
			UNION ALL SELECT article_id, 1 FROM article_urls WHERE url = ?1
			UNION ALL SELECT article_id, 0 FROM article_sources WHERE source_id = ?2 AND guid = ?3 AND guid <> ''
			LIMIT 1) m
		JOIN articles a ON a.id = m.id
		LEFT JOIN article_sources x ON x.article_id = a.id AND x.source_id = ?2`
)

// SaveArticles records items delivered by one source in one transaction; see
// herald.Store. Every item needs a canonical URL. Empty fields of an item
// never erase what is known; the publication time is set once.
func (db *DB) SaveArticles(ctx context.Context, sourceID int64, items []herald.ArticleInput, now time.Time) ([]herald.SaveResult, error) {
	return db.saveArticles(ctx, sourceID, items, now, true)
}

// saveArticles is SaveArticles; grouped false saves item by item, each with
// its own statements, as the reference the grouped statements must agree
// with.
func (db *DB) saveArticles(ctx context.Context, sourceID int64, items []herald.ArticleInput, now time.Time,
	grouped bool) ([]herald.SaveResult, error) {
	for i, it := range items {
		if it.URL == "" {
			return nil, fmt.Errorf("sqlite: save articles: item %d has no URL", i)
		}
	}
	out := make([]herald.SaveResult, len(items))
	err := db.write(ctx, func(tx *txn) error {
		base, err := db.Dialect().NewSaver(ctx, sq(tx), sourceID, now)
		if err != nil {
			return err
		}
		s := saver{Saver: base, tx: tx}
		if err := s.saveAll(items, out, grouped); err != nil {
			return err
		}
		if err := s.Finish(items, out); err != nil {
			return err
		}
		var ids []int64 // of articles known before: a new one is in this source alone
		for _, r := range out {
			if !r.New {
				ids = append(ids, r.Article.ID)
			}
		}
		sections, err := sqlstore.LoadSections(ctx, sq(tx), ids)
		if err != nil {
			return err
		}
		for i := range out {
			if secs, ok := sections[out[i].Article.ID]; ok {
				out[i].Article.Sections = secs
			} else {
				out[i].Article.Sections = []string{s.Source}
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("save articles of source %d", sourceID), err)
	}
	return out, nil
}

// saver saves the items of one SaveArticles call.
type saver struct {
	*sqlstore.Saver
	tx *txn
}

// saveAll saves items in order into out. Grouped, it first looks every item
// up in a few statements (matchAll), then inserts the runs of new items
// with multi-row statements (insertAll), and saves the others one by one.
// An item whose lookup an earlier item of the call may have changed (it
// shares a URL, a GUID or an article with it) is looked up again, once the
// new items before it are inserted: the outcome is the same as saving the
// items one at a time.
func (s *saver) saveAll(items []herald.ArticleInput, out []herald.SaveResult, grouped bool) error {
	var found []match
	if grouped {
		var err error
		if found, err = s.matchAll(items); err != nil {
			return err
		}
	}
	var t touched
	var run []int // new items waiting for insertAll, in order
	for i, it := range items {
		var m match
		fresh := grouped && !t.hit(it, found[i])
		if fresh {
			m = found[i]
			if !m.ok {
				run = append(run, i)
				t.add(it.URL, it.GUID, 0)
				continue
			}
		}
		if err := s.insertAll(items, run, out); err != nil {
			return err
		}
		run = run[:0]
		if !fresh {
			var err error
			if m, err = s.match(it); err != nil {
				return err
			}
		}
		r, err := s.save(it, m)
		if err != nil {
			return err
		}
		out[i] = r
		t.add(it.URL, it.GUID, r.Article.ID)
		t.add(m.a.URL, m.l.cur, 0) // the URL and GUID it may have left
	}
	return s.insertAll(items, run, out)
}

// touched records what the items saved so far in a call may have written:
// canonical URLs (of articles or their aliases), GUIDs in the source, and
// articles.
type touched struct {
	urls  map[string]bool
	guids map[string]bool
	ids   map[int64]bool
}

func (t *touched) add(url, guid string, id int64) {
	if t.urls == nil {
		t.urls, t.guids, t.ids = make(map[string]bool), make(map[string]bool), make(map[int64]bool)
	}
	if url != "" {
		t.urls[url] = true
	}
	if guid != "" {
		t.guids[guid] = true
	}
	if id != 0 {
		t.ids[id] = true
	}
}

// hit reports whether an item's lookup m may be out of date.
func (t *touched) hit(it herald.ArticleInput, m match) bool {
	return t.urls[it.URL] || it.GUID != "" && t.guids[it.GUID] || m.ok && t.ids[m.a.ID]
}

// save persists what herald.DecideItem and herald.PlanJobs decide for an
// item and its match.
func (s *saver) save(it herald.ArticleInput, m match) (herald.SaveResult, error) {
	return s.Save(it, herald.Found{OK: m.ok, Article: m.a, ByURL: m.byURL}, func(id int64, isNew bool) (bool, error) {
		return s.link(id, it.GUID, isNew, m.l)
	})
}

// match is what a lookup found of an item: the article it is (ok), whether
// by its URL, and the article's link to the source.
type match struct {
	ok    bool
	a     herald.Article
	byURL bool
	l     link
}

// match finds the article an item is: by canonical URL (current or earlier),
// else by its GUID in this source. It also returns the article's link to
// the source: linked, under GUID cur.
func (s *saver) match(it herald.ArticleInput) (match, error) {
	var i int
	m, err := s.scanMatch(s.tx.QueryRowContext(s.Ctx, qMatch, it.URL, s.SourceID, it.GUID), &i)
	if errors.Is(err, sql.ErrNoRows) {
		return match{}, nil
	}
	return m, err
}

// scanMatch scans a row of qMatch or qMatchAll: the article, whether its
// URL matched, its GUID in the source (NULL: unlinked), and the item's
// index into i.
func (s *saver) scanMatch(row interface{ Scan(...any) error }, i *int) (match, error) {
	var m match
	var guid sql.NullString
	if err := row.Scan(s.D.ArticleDest(&m.a, &m.byURL, &guid, i)...); err != nil {
		return m, err
	}
	m.ok = true
	m.l = link{linked: guid.Valid, cur: guid.String, byGUID: !m.byURL}
	return m, nil
}

// link is what match learnt of an article's link to the saver's source.
type link struct {
	linked bool   // the source carries the article already
	cur    string // under this GUID
	byGUID bool   // the article was found by the item's GUID in this source
}

// newArticle is the article a new item makes, without its ID.
func (s *saver) newArticle(it herald.ArticleInput) herald.Article {
	return herald.DecideItem(it, herald.Found{}, s.Source, s.Now).Article
}

// link records that this source carries the article under guid, and reports
// whether the link is new. A GUID already given to another article of the
// source is not recorded twice. l is what match learnt; a new article has
// no link, and its GUID no owner in the source (match looked for it).
func (s *saver) link(articleID int64, guid string, isNew bool, l link) (bool, error) {
	if guid != "" && !isNew && !l.byGUID && guid != l.cur {
		var err error
		if guid, err = s.FreeGUID(articleID, guid); err != nil {
			return false, err
		}
	}
	if l.linked && !isNew {
		if guid != "" && guid != l.cur {
			return false, s.Relink(articleID, guid)
		}
		return false, nil
	}
	if err := s.AddLink(articleID, guid); err != nil {
		return false, err
	}
	return true, nil
}

// Grouped statements. Each takes up to maxGroup items; a call's items go in
// runs whose sizes are powers of two (groupSizes), so that a handful of
// statement texts serve every call and stay prepared.
const maxGroup = 64

// groupSizes splits n into powers of two of at most maxGroup, largest first.
func groupSizes(n int) []int {
	var out []int
	for n > 0 {
		k := maxGroup
		for k > n {
			k /= 2
		}
		out = append(out, k)
		n -= k
	}
	return out
}

// qMatchAll is qMatch for k items at once: each item's URL and GUID, then
// the source (?2k+1). Each row is an item that matched, by its index.
// (Parameters are anonymous where they can be: looking up the name of a
// numbered one costs a search of all of them.)
func qMatchAll(k int) string {
	var b strings.Builder
	b.WriteString(`WITH item (i, url, guid) AS (VALUES `)
	for j := range k {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, ?, ?)", j)
	}
	src := fmt.Sprintf("?%d", 2*k+1)
	b.WriteString(`),
		m AS MATERIALIZED (SELECT i,
			coalesce((SELECT id FROM articles WHERE url = item.url),
				(SELECT article_id FROM article_urls WHERE url = item.url)) AS u,
			(SELECT article_id FROM article_sources WHERE source_id = ` + src + ` AND guid = item.guid AND guid <> '') AS g
			FROM item)
		SELECT ` + sqlstore.ArticleCols + `, m.u IS NOT NULL, x.guid, m.i FROM m
		JOIN articles a ON a.id = coalesce(m.u, m.g)
		LEFT JOIN article_sources x ON x.article_id = a.id AND x.source_id = ` + src)
	return b.String()
}

// matchAll looks every item up as match does, in a few statements.
func (s *saver) matchAll(items []herald.ArticleInput) ([]match, error) {
	found := make([]match, len(items))
	at := 0
	for _, k := range groupSizes(len(items)) {
		args := make([]any, 0, 2*k+1)
		for _, it := range items[at : at+k] {
			args = append(args, it.URL, it.GUID)
		}
		args = append(args, s.SourceID)
		if err := s.scanMatches(groupQueries[k].match, args, found[at:at+k]); err != nil {
			return nil, err
		}
		at += k
	}
	return found, nil
}

func (s *saver) scanMatches(query string, args []any, found []match) error {
	rows, err := s.tx.QueryContext(s.Ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		m, err := s.scanMatch(rows, &i)
		if err != nil {
			return err
		}
		if i < 0 || i >= len(found) {
			return fmt.Errorf("match of item %d of %d", i, len(found))
		}
		found[i] = m
	}
	return rows.Err()
}

// qInsertArticles inserts k articles: ?1 is their section, ?2 the time
// they are first seen, then ten values an article.
func qInsertArticles(k int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO articles (section, first_seen_at, updated_at, url, guid, title, summary, author,
		image_url, categories, published_at, stale, source_updated_at) VALUES `)
	for j := range k {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?1, ?2, ?2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(` RETURNING id, url`)
	return b.String()
}

// qLinkArticles links k articles to a source: ?1 is the source, ?2 the
// time, then each article's ID and GUID.
func qLinkArticles(k int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO article_sources (source_id, first_seen_at, article_id, guid) VALUES `)
	for j := range k {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?1, ?2, ?, ?)")
	}
	return b.String()
}

// groupQueries holds the grouped statements by size (powers of two).
var groupQueries = func() (q [maxGroup + 1]struct{ match, insert, link string }) {
	for k := 1; k <= maxGroup; k *= 2 {
		q[k].match, q[k].insert, q[k].link = qMatchAll(k), qInsertArticles(k), qLinkArticles(k)
	}
	return q
}()

// insertAll saves the new items run (indexes into items, in order, none
// sharing a URL or a GUID with another) as insert, link and createJobs
// would one by one, with multi-row statements.
func (s *saver) insertAll(items []herald.ArticleInput, run []int, out []herald.SaveResult) error {
	if len(run) == 0 {
		return nil
	}
	arts := make([]herald.Article, len(run))
	at := 0
	for _, k := range groupSizes(len(run)) {
		args := make([]any, 0, 2+10*k)
		args = append(args, s.Source, ms(fromMS(s.Now.UnixMilli())))
		ids := make(map[string]int, k) // URL → index in arts
		for j, i := range run[at : at+k] {
			a := s.newArticle(items[i])
			arts[at+j] = a
			ids[a.URL] = at + j
			args = append(args, a.URL, a.GUID, a.Title, a.Summary, a.Author, a.ImageURL,
				encodeCategories(a.Categories), ms(a.PublishedAt), a.Stale, ms(a.SourceUpdatedAt))
		}
		// RETURNING gives no order: rows are told apart by their URL.
		if err := s.scanIDs(groupQueries[k].insert, args, ids, arts); err != nil {
			return err
		}
		args = append(args[:0], s.SourceID, s.Now.UnixMilli())
		for j := range k {
			args = append(args, arts[at+j].ID, arts[at+j].GUID)
		}
		if _, err := s.tx.ExecContext(s.Ctx, groupQueries[k].link, args...); err != nil {
			return err
		}
		s.Links += k
		at += k
	}
	for j, i := range run {
		it, a := items[i], arts[j]
		r := herald.SaveResult{Article: a, New: true}
		var err error
		if r.Jobs, err = s.CreateJobs(a, herald.PlanJobs(it, a, true, true), true); err != nil {
			return err
		}
		out[i] = r
	}
	return nil
}

// scanIDs runs an INSERT … RETURNING id, url and sets the ID of each
// article of arts by its URL (ids).
func (s *saver) scanIDs(query string, args []any, ids map[string]int, arts []herald.Article) error {
	rows, err := s.tx.QueryContext(s.Ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var url string
		if err := rows.Scan(&id, &url); err != nil {
			return err
		}
		j, ok := ids[url]
		if !ok {
			return fmt.Errorf("insert returned an unknown URL %q", url)
		}
		arts[j].ID = id
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != len(ids) {
		return fmt.Errorf("insert returned %d rows for %d articles", n, len(ids))
	}
	return nil
}
