package herald

import (
	"context"
	"time"
)

// View is one page view of an article, counted once per visitor and UTC
// day. Visitor is an opaque keyed hash (see ViewStore.ViewSalt): never an
// address or anything else that names a person.
type View struct {
	ArticleID int64
	Day       int64 // UTC day number (ViewDay)
	Visitor   []byte
}

// ViewDay is the number of the UTC day of t since the Unix epoch.
func ViewDay(t time.Time) int64 {
	ms := t.UnixMilli()
	d := ms / (24 * 3600 * 1000)
	if ms < 0 && ms%(24*3600*1000) != 0 {
		d--
	}
	return d
}

// ViewStore keeps page-view counts for the "Most viewed" ranking
// (ReportQuery.By "views").
type ViewStore interface {
	// ViewSalt returns the secret salt of day's visitor hashes, storing
	// candidate when the day has none yet, so that every instance sharing the
	// database hashes alike. Storing a new day's salt forgets the visitors
	// and salts of the days before the previous one: past views stay counted
	// but can no longer be told apart or linked to a network.
	ViewSalt(ctx context.Context, day int64, candidate []byte) ([]byte, error)
	// RecordViews counts each view whose visitor was not yet counted for its
	// article and day, in one transaction, and returns how many it counted.
	// Views of unknown articles are ignored.
	RecordViews(ctx context.Context, views []View) (int, error)
}
