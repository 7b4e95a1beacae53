package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var accountTests = []test{
	{"SyncAndGet", func(t *testing.T, f *fixture) {
		a, err := f.GetAccount(f.ctx, fbPage)
		f.must(err)
		equal(t, "id", a.ID, fbPage)
		equal(t, "network", a.Network, herald.Facebook)
		equal(t, "paused", a.Paused, false)
		_, err = f.GetAccount(f.ctx, "nope")
		errIs(t, "GetAccount(missing)", err, herald.ErrNotFound)

		// Syncing again keeps the state of existing accounts.
		f.must(f.PauseAccount(f.ctx, fbPage, "token expired"))
		f.must(f.SyncAccounts(f.ctx, []herald.Account{{ID: fbPage, Network: herald.Facebook}, {ID: "fb_two", Network: herald.Facebook}}))
		a, err = f.GetAccount(f.ctx, fbPage)
		f.must(err)
		equal(t, "still paused", a.Paused, true)
		equal(t, "pause reason", a.PauseReason, "token expired")
		b, err := f.GetAccount(f.ctx, "fb_two")
		f.must(err)
		equal(t, "new account's network", b.Network, herald.Facebook)
	}},
	{"PauseResumeHold", func(t *testing.T, f *fixture) {
		f.must(f.PauseAccount(f.ctx, xMain, "auth: 401"))
		f.must(f.HoldAccount(f.ctx, xMain, t0.Add(2*time.Hour), "rate limit"))
		f.must(f.HoldAccount(f.ctx, xMain, t0.Add(time.Hour), "spacing"))
		a, err := f.GetAccount(f.ctx, xMain)
		f.must(err)
		equal(t, "paused", a.Paused, true)
		equal(t, "reason", a.PauseReason, "auth: 401")
		sameTime(t, "a hold is never shortened", a.HoldUntil, t0.Add(2*time.Hour))
		equal(t, "hold reason", a.HoldReason, "rate limit")
		f.must(f.HoldAccount(f.ctx, xMain, t0.Add(3*time.Hour), "daily cap"))
		a, err = f.GetAccount(f.ctx, xMain)
		f.must(err)
		sameTime(t, "a hold is extended", a.HoldUntil, t0.Add(3*time.Hour))
		equal(t, "extended hold reason", a.HoldReason, "daily cap")

		f.must(f.ResumeAccount(f.ctx, xMain))
		a, err = f.GetAccount(f.ctx, xMain)
		f.must(err)
		equal(t, "resumed", a.Paused, false)
		equal(t, "reason cleared", a.PauseReason, "")
		sameTime(t, "hold lifted", a.HoldUntil, time.Time{})

		f.must(f.SetTokenExpiry(f.ctx, fbPage, t0.Add(60*24*time.Hour)))
		a, err = f.GetAccount(f.ctx, fbPage)
		f.must(err)
		sameTime(t, "token expiry", a.TokenExpiresAt, t0.Add(60*24*time.Hour))

		for name, err := range map[string]error{
			"PauseAccount":   f.PauseAccount(f.ctx, "nope", "x"),
			"ResumeAccount":  f.ResumeAccount(f.ctx, "nope"),
			"HoldAccount":    f.HoldAccount(f.ctx, "nope", t0, "x"),
			"SetTokenExpiry": f.SetTokenExpiry(f.ctx, "nope", t0),
		} {
			errIs(t, name+"(missing)", err, herald.ErrNotFound)
		}
	}},
	{"List", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain, fbPage)
		f.article("https://example.com/b", t0, fbPage)
		yesterday := t0.Add(-24 * time.Hour)
		// One x_main post yesterday (a repost due then), one today.
		early, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: a.Article.ID, Account: xMain, DueAt: yesterday}, yesterday)
		f.must(err)
		for _, j := range f.claim("o", yesterday, xMain) {
			f.must(f.FinishJob(f.ctx, j.ID, "o", herald.Outcome{State: herald.JobSent, RemoteID: "y", SentAt: yesterday,
				Attempted: true}, yesterday))
		}
		equal(t, "yesterday's post sent", f.job(early.ID).State, herald.JobSent)
		for _, j := range f.claim("o", t0, xMain) {
			f.must(f.FinishJob(f.ctx, j.ID, "o", herald.Outcome{State: herald.JobSent, RemoteID: "t", SentAt: t0,
				Attempted: true}, t0))
		}
		lastMonth := time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC)
		for _, c := range []herald.Charge{
			{Account: xMain, Kind: herald.CostPostWithLink, Amount: 200_000, At: t0},
			{Account: xMain, Kind: herald.CostPostWithLink, Amount: 200_000, At: yesterday},
			{Account: xMain, Kind: herald.CostPostWithLink, Amount: 200_000, At: lastMonth},
		} {
			_, err := f.RecordCharge(f.ctx, c)
			f.must(err)
		}
		as, err := f.ListAccounts(f.ctx, t0)
		f.must(err)
		got := map[string]herald.Account{}
		for _, x := range as {
			got[x.ID] = x
		}
		equal(t, "accounts listed", len(as), 4)
		equal(t, "x_main sent today", got[xMain].SentToday, 1)
		equal(t, "x_main month spend", got[xMain].MonthSpend, herald.Money(400_000))
		equal(t, "x_main pending", got[xMain].PendingJobs, 0)
		equal(t, "fb_page pending", got[fbPage].PendingJobs, 2)
		equal(t, "fb_page network", got[fbPage].Network, herald.Facebook)
		sameTime(t, "x_main last sent", got[xMain].LastSentAt, t0)
	}},
	{"Tokens", func(t *testing.T, f *fixture) {
		_, err := f.LoadToken(f.ctx, xMain)
		errIs(t, "LoadToken before any", err, herald.ErrNotFound)
		first := herald.Token{AccessToken: "at1", RefreshToken: "rt1", Expiry: t0.Add(2 * time.Hour)}
		f.must(f.SaveToken(f.ctx, xMain, first))
		got, err := f.LoadToken(f.ctx, xMain)
		f.must(err)
		equal(t, "access", got.AccessToken, "at1")
		equal(t, "refresh", got.RefreshToken, "rt1")
		sameTime(t, "expiry", got.Expiry, first.Expiry)
		// Refresh tokens rotate: the new pair replaces the old at once.
		f.must(f.SaveToken(f.ctx, xMain, herald.Token{AccessToken: "at2", RefreshToken: "rt2", Expiry: t0.Add(4 * time.Hour)}))
		got, err = f.LoadToken(f.ctx, xMain)
		f.must(err)
		equal(t, "rotated refresh", got.RefreshToken, "rt2")
		_, err = f.LoadToken(f.ctx, xTwo)
		errIs(t, "another account's token", err, herald.ErrNotFound)
	}},
}

var ledgerTests = []test{
	{"ReadsOncePerDay", func(t *testing.T, f *fixture) {
		record := func(c herald.Charge) bool {
			t.Helper()
			ok, err := f.RecordCharge(f.ctx, c)
			f.must(err)
			return ok
		}
		read := func(acct, id string, at time.Time) herald.Charge {
			return herald.Charge{Account: acct, Kind: herald.CostRead, RemoteID: id, Amount: 5_000, At: at}
		}
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		equal(t, "first read", record(read(xMain, "p1", day.Add(time.Hour))), true)
		equal(t, "same post same UTC day", record(read(xMain, "p1", day.Add(23*time.Hour))), false)
		equal(t, "another post", record(read(xMain, "p2", day.Add(time.Hour))), true)
		equal(t, "same post next UTC day", record(read(xMain, "p1", day.Add(24*time.Hour))), true)
		equal(t, "same post other account", record(read(xTwo, "p1", day.Add(time.Hour))), true)
		// Posts are charged every time.
		post := herald.Charge{Account: xMain, Kind: herald.CostPostWithLink, RemoteID: "p3", Amount: 200_000, At: day.Add(time.Hour)}
		equal(t, "post", record(post), true)
		equal(t, "post again", record(post), true)

		spend, err := f.Spend(f.ctx, xMain, day)
		f.must(err)
		equal(t, "x_main spend", spend, herald.Money(3*5_000+2*200_000))
		spend, err = f.Spend(f.ctx, xMain, day.Add(24*time.Hour))
		f.must(err)
		equal(t, "x_main spend since the next day", spend, herald.Money(5_000))
		spend, err = f.Spend(f.ctx, xTwo, day)
		f.must(err)
		equal(t, "x_two spend", spend, herald.Money(5_000))
		equal(t, "dollars", spend.Dollars(), 0.005)
	}},
}
