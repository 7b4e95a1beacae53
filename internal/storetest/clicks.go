package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var clickTests = []test{
	{"OncePerNetworkAndDay", func(t *testing.T, f *fixture) {
		cr := f.Store
		a := f.article("https://example.com/clicked", t0, xMain)
		b := f.article("https://example.com/other", t0, xMain)
		sent := f.sendAll(t0)
		ja, jb := sent[a.Jobs[0]], sent[b.Jobs[0]]
		for _, c := range []struct {
			code, network string
			at            time.Duration
			counted       bool
			clicks        int64
		}{
			{ja.ShortCode, "203.0.113.0/24", 0, true, 1},
			{ja.ShortCode, "203.0.113.0/24", time.Minute, false, 1},
			{ja.ShortCode, "203.0.113.0/24", 11*time.Hour + 59*time.Minute, false, 1}, // 23:59 UTC
			{ja.ShortCode, "198.51.100.0/24", time.Hour, true, 2},
			{ja.ShortCode, "2001:db8:1:2::/64", time.Hour, true, 3},
			{jb.ShortCode, "203.0.113.0/24", time.Hour, true, 1},      // another link
			{ja.ShortCode, "203.0.113.0/24", 12 * time.Hour, true, 4}, // the next UTC day
			{ja.ShortCode, "203.0.113.0/24", 12*time.Hour + time.Minute, false, 4},
		} {
			j, counted, err := cr.RecordClickOnce(f.ctx, c.code, c.network, t0.Add(c.at))
			f.must(err)
			if counted != c.counted || j.Clicks != c.clicks {
				t.Errorf("%s from %s at %v: counted %v, clicks %d; want %v, %d", c.code, c.network, c.at,
					counted, j.Clicks, c.counted, c.clicks)
			}
		}
		equal(t, "stored clicks", f.job(ja.ID).Clicks, int64(4))
		_, _, err := cr.RecordClickOnce(f.ctx, "no-such", "203.0.113.0/24", t0)
		errIs(t, "RecordClickOnce(unknown code)", err, herald.ErrNotFound)
	}},
}
