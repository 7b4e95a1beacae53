package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var claimTests = []test{
	{"Order", func(t *testing.T, f *fixture) {
		old := f.article("https://example.com/old", t0.Add(-3*time.Hour), xMain)
		newer := f.article("https://example.com/newer", t0.Add(-time.Hour), xMain)
		it := story("https://example.com/breaking", xMain)
		it.PublishedAt, it.Priority = t0.Add(-2*time.Hour), herald.PriorityBreaking
		breaking := f.save(mexico, t0, it)[0]
		same := f.article("https://example.com/same-time", t0.Add(-time.Hour), xMain)
		js := f.claim("o", t0, xMain)
		equalSlice(t, "claim order", ids(js),
			[]int64{breaking.Jobs[0], old.Jobs[0], newer.Jobs[0], same.Jobs[0]})
		for _, j := range js {
			equal(t, "claimed by", j.ClaimedBy, "o")
			sameTime(t, "lease", j.LeaseUntil, t0.Add(time.Minute))
			equal(t, "state", j.State, herald.JobPending)
			equal(t, "reconcile", j.Reconcile, false)
			if j.Article == nil || j.Article.ID != j.ArticleID {
				t.Errorf("claimed job %d without its article", j.ID)
			}
		}
	}},
	{"DueOnly", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0)
		later := f.mustCreateAt(a.Article.ID, xMain, t0.Add(time.Hour))
		if n := len(f.claim("o", t0, xMain)); n != 0 {
			t.Fatalf("claimed %d jobs not yet due", n)
		}
		js := f.claim("o", t0.Add(time.Hour), xMain)
		equalSlice(t, "due at NextAttemptAt", ids(js), []int64{later.ID})
		if n := len(f.claim("o", t0.Add(time.Hour), fbPage)); n != 0 {
			t.Errorf("claimed %d jobs of an account not asked for", n)
		}
	}},
	{"Limits", func(t *testing.T, f *fixture) {
		for i := range 5 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Minute), xMain, xTwo, fbPage)
		}
		claim := func(owner string, per, limit int) []herald.Job {
			js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: t0, Lease: time.Minute,
				Accounts: map[string]time.Duration{xMain: 0, xTwo: 0, fbPage: 0}, PerAccount: per, Limit: limit})
			f.must(err)
			return js
		}
		// One instance claims again while it holds claims: another would be
		// given nothing of these accounts meanwhile.
		one := claim("a", 0, 0)
		equal(t, "PerAccount 0 means 1 each", len(one), 3)
		two := perAccountCount(claim("a", 2, 0))
		for _, acct := range []string{xMain, xTwo, fbPage} {
			equal(t, acct+" with PerAccount 2", two[acct], 2)
		}
		limited := claim("a", 5, 4)
		equal(t, "Limit", len(limited), 4)
		equal(t, "another instance meanwhile", len(claim("b", 5, 0)), 0)
		// What is left (2 each minus the 4) is the rest.
		rest := claim("a", 5, 0)
		equal(t, "rest", len(rest), 15-3-6-4)
	}},
	{"Spacing", func(t *testing.T, f *fixture) {
		for i := range 3 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Minute), xMain, fbPage)
		}
		spaced := func(owner string, now time.Time) []herald.Job {
			js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute,
				Accounts: map[string]time.Duration{xMain: 10 * time.Minute, fbPage: 0}, PerAccount: 10})
			f.must(err)
			return js
		}
		first := perAccountCount(spaced("a", t0))
		equal(t, "spaced account takes one", first[xMain], 1)
		equal(t, "unspaced account takes all", first[fbPage], 3)
		acct, err := f.GetAccount(f.ctx, xMain)
		f.must(err)
		sameTime(t, "hold after a spaced claim", acct.HoldUntil, t0.Add(10*time.Minute))
		// Another instance a minute later: the hold is shared.
		equal(t, "held account at +1m", perAccountCount(spaced("b", t0.Add(time.Minute)))[xMain], 0)
		equal(t, "after the spacing", perAccountCount(spaced("b", t0.Add(10*time.Minute)))[xMain], 1)
	}},
	{"SpacingAcrossConcurrentClaimers", func(t *testing.T, f *fixture) {
		for i := range 10 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0, xMain)
		}
		var mu sync.Mutex
		total := 0
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: fmt.Sprintf("o%d", g), Now: t0,
					Lease: time.Minute, Accounts: map[string]time.Duration{xMain: time.Minute}, PerAccount: 10})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += len(js)
				mu.Unlock()
			})
		}
		wg.Wait()
		equal(t, "jobs claimed by 8 concurrent claimers of a spaced account", total, 1)
	}},
	{"OneInstancePerAccountAcrossConcurrentClaimers", func(t *testing.T, f *fixture) {
		for i := range 10 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Minute), xMain, fbPage)
		}
		var mu sync.Mutex
		owners := map[string]map[string]bool{} // account → owners given its jobs
		var wg sync.WaitGroup
		for g := range 8 {
			owner := fmt.Sprintf("o%d", g)
			wg.Go(func() {
				js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: t0.Add(time.Hour), Lease: time.Minute,
					Accounts: map[string]time.Duration{xMain: 0, fbPage: 0}, PerAccount: 3})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, j := range js {
					if owners[j.Account] == nil {
						owners[j.Account] = map[string]bool{}
					}
					owners[j.Account][owner] = true
				}
			})
		}
		wg.Wait()
		for _, acct := range []string{xMain, fbPage} {
			equal(t, "instances given jobs of "+acct+" by 8 concurrent claimers", len(owners[acct]), 1)
		}
	}},
	{"SpacingWaitsForTheClaimedJob", func(t *testing.T, f *fixture) {
		for i := range 3 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Minute), xMain)
		}
		spaced := func(owner string, now time.Time) []herald.Job {
			js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute,
				Accounts: map[string]time.Duration{xMain: time.Second}, PerAccount: 10})
			f.must(err)
			return js
		}
		first := spaced("a", t0)
		equal(t, "first claim", len(first), 1)
		// The claim's hold has passed, but a's job is still claimed: its
		// call may be in flight.
		equal(t, "claimed while another job is claimed", len(spaced("b", t0.Add(2*time.Second))), 0)
		f.must(f.StartAttempt(f.ctx, first[0].ID, "a", t0.Add(time.Second), time.Minute))
		equal(t, "claimed while another job is sending", len(spaced("b", t0.Add(2*time.Second))), 0)
		// The sender holds the account from the end of its call, then
		// records the outcome.
		f.must(f.HoldAccount(f.ctx, xMain, t0.Add(4*time.Second), "spacing"))
		f.must(f.FinishJob(f.ctx, first[0].ID, "a", herald.Outcome{State: herald.JobSent, RemoteID: "r1",
			SentAt: t0.Add(3 * time.Second), Attempted: true}, t0.Add(3*time.Second)))
		equal(t, "claimed within the hold from the call's end", len(spaced("b", t0.Add(3500*time.Millisecond))), 0)
		second := spaced("b", t0.Add(4*time.Second))
		equal(t, "claimed after it", len(second), 1)
		// b vanishes: once its lease expires the account is served again.
		equal(t, "claimed while b's lease lives", len(spaced("c", t0.Add(time.Minute))), 0)
		third := spaced("c", t0.Add(4*time.Second+time.Minute))
		equalSlice(t, "after b's lease expired", ids(third), ids(second))
		// An account without spacing is not limited to one claimed job.
		equal(t, "unspaced", len(f.claim("d", t0.Add(3*time.Minute), xMain)), 2)
	}},
	{"LimitsAcrossConcurrentClaimers", func(t *testing.T, f *fixture) {
		for i := range 6 {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Minute), xMain)
		}
		// Max 2 since t0-1h; a post sent before that does not count.
		opts := func(owner string, now time.Time) herald.ClaimOptions {
			return herald.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute,
				Accounts: map[string]time.Duration{xMain: 0}, PerAccount: 10,
				Limits: []herald.ClaimLimit{{Account: xMain, Max: 2, Since: t0.Add(-time.Hour)}}}
		}
		send := func(j herald.Job, at time.Time) {
			f.must(f.StartAttempt(f.ctx, j.ID, j.ClaimedBy, at, time.Minute))
			f.must(f.FinishJob(f.ctx, j.ID, j.ClaimedBy, herald.Outcome{State: herald.JobSent,
				RemoteID: fmt.Sprintf("r%d", j.ID), SentAt: at, Attempted: true}, at))
		}
		old, err := f.ClaimJobs(f.ctx, opts("first", t0))
		f.must(err)
		equal(t, "first claim", len(old), 1)
		send(old[0], t0.Add(-2*time.Hour)) // recorded as sent before Since
		for round := range 3 {
			var mu sync.Mutex
			var got []herald.Job
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					js, err := f.ClaimJobs(f.ctx, opts(fmt.Sprintf("o%d", g), t0))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got = append(got, js...)
					mu.Unlock()
				})
			}
			wg.Wait()
			want := 1
			if round == 2 {
				want = 0 // two sent since Since: the limit is reached
			}
			equal(t, fmt.Sprintf("round %d: jobs claimed by 8 concurrent claimers of a limited account", round), len(got), want)
			if len(got) == 1 {
				send(got[0], t0)
			}
		}
		// A limit counts sends from Since: a later Since leaves room again.
		later := opts("p", t0.Add(time.Hour))
		later.Limits[0].Since = t0.Add(time.Minute)
		js, err := f.ClaimJobs(f.ctx, later)
		f.must(err)
		equal(t, "claimed under a later Since", len(js), 1)
	}},
	{"FinishRecordsTheCharge", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain)
		b := f.article("https://example.com/b", t0, xMain)
		spend := func() herald.Money {
			m, err := f.Spend(f.ctx, xMain, t0.Add(-time.Hour))
			f.must(err)
			return m
		}
		post := func(remote string) *herald.Charge {
			return &herald.Charge{Account: xMain, Kind: herald.CostPostWithLink, RemoteID: remote, Amount: 200_000, At: t0}
		}
		js := f.claim("a", t0, xMain)
		equal(t, "claimed", len(js), 2)
		f.must(f.StartAttempt(f.ctx, a.Jobs[0], "a", t0, time.Minute))
		f.must(f.FinishJob(f.ctx, a.Jobs[0], "a", herald.Outcome{State: herald.JobSent, RemoteID: "r1",
			Attempted: true, Charge: post("r1")}, t0))
		equal(t, "spend after a charged post", spend(), 200_000)
		// b's lease expires and another instance takes it over: a's late
		// outcome is refused, and so is its charge (the new owner reconciles
		// and charges the post once).
		f.must(f.StartAttempt(f.ctx, b.Jobs[0], "a", t0, time.Minute))
		equal(t, "taken over", len(f.claim("b", t0.Add(2*time.Minute), xMain)), 1)
		err := f.FinishJob(f.ctx, b.Jobs[0], "a", herald.Outcome{State: herald.JobSent, RemoteID: "r2",
			Attempted: true, Charge: post("r2")}, t0.Add(2*time.Minute))
		errIs(t, "finish after the lease was lost", err, herald.ErrLeaseLost)
		equal(t, "spend after a lost lease", spend(), 200_000)
		equal(t, "job still sending", f.job(b.Jobs[0]).State, herald.JobSending)
	}},
	{"PausedAndHeld", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain, fbPage)
		f.must(f.PauseAccount(f.ctx, xMain, "auth: token revoked"))
		f.must(f.HoldAccount(f.ctx, fbPage, t0.Add(time.Hour), "rate limited"))
		if n := len(f.claim("o", t0, xMain, fbPage)); n != 0 {
			t.Fatalf("claimed %d jobs of paused or held accounts", n)
		}
		equal(t, "held account after the hold", len(f.claim("o", t0.Add(time.Hour), fbPage)), 1)
		equal(t, "paused account still paused later", len(f.claim("o", t0.Add(2*time.Hour), xMain)), 0)
		f.must(f.ResumeAccount(f.ctx, xMain))
		js := f.claim("o", t0.Add(2*time.Hour), xMain)
		equalSlice(t, "after resume", ids(js), []int64{a.Jobs[0]})
	}},
	{"LeaseHeld", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain)
		equal(t, "first claim", len(f.claim("a", t0, xMain)), 1)
		equal(t, "claim while leased", len(f.claim("b", t0.Add(30*time.Second), xMain)), 0)
		// Claimed but never started, then the claimer vanished: plain retake.
		js := f.claim("b", t0.Add(time.Minute), xMain)
		equalSlice(t, "retaken after lease expiry", ids(js), []int64{a.Jobs[0]})
		equal(t, "no reconcile for a job never started", js[0].Reconcile, false)
		errIs(t, "old owner's StartAttempt", f.StartAttempt(f.ctx, a.Jobs[0], "a", t0.Add(time.Minute), time.Minute),
			herald.ErrLeaseLost)
		errIs(t, "old owner's FinishJob", f.FinishJob(f.ctx, a.Jobs[0], "a",
			herald.Outcome{State: herald.JobSent, RemoteID: "x", Attempted: true}, t0.Add(time.Minute)), herald.ErrLeaseLost)
		errIs(t, "StartAttempt of a missing job", f.StartAttempt(f.ctx, 1<<40, "b", t0, time.Minute), herald.ErrNotFound)
		errIs(t, "FinishJob of a missing job", f.FinishJob(f.ctx, 1<<40, "b",
			herald.Outcome{State: herald.JobSent}, t0), herald.ErrNotFound)
		// A lease expired but not taken over is still the owner's.
		f.must(f.StartAttempt(f.ctx, a.Jobs[0], "b", t0.Add(5*time.Minute), time.Minute))
		j := f.job(a.Jobs[0])
		equal(t, "state after StartAttempt", j.State, herald.JobSending)
		equal(t, "attempts", j.Attempts, 1)
		sameTime(t, "attempt started", j.AttemptStartedAt, t0.Add(5*time.Minute))
		sameTime(t, "lease extended", j.LeaseUntil, t0.Add(6*time.Minute))
	}},
	{"Reconcile", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain)
		id := a.Jobs[0]
		f.claim("a", t0, xMain)
		f.must(f.StartAttempt(f.ctx, id, "a", t0, time.Minute))
		equal(t, "sending job claimed while leased", len(f.claim("b", t0.Add(30*time.Second), xMain)), 0)
		// "a" crashed mid-send: once its lease expires the job is reconciled.
		js := f.claim("b", t0.Add(2*time.Minute), xMain)
		if len(js) != 1 || js[0].ID != id || !js[0].Reconcile {
			t.Fatalf("claim after a crash = %+v, want job %d with Reconcile", js, id)
		}
		equal(t, "state while reconciling", js[0].State, herald.JobSending)
		errIs(t, "crashed owner's FinishJob", f.FinishJob(f.ctx, id, "a",
			herald.Outcome{State: herald.JobSent, RemoteID: "x", Attempted: true}, t0.Add(2*time.Minute)), herald.ErrLeaseLost)
		// Given back before reconciling: it must still be reconciled.
		f.must(f.FinishJob(f.ctx, id, "b", herald.Outcome{State: herald.JobPending, NextAttemptAt: t0.Add(3 * time.Minute)},
			t0.Add(2*time.Minute)))
		equal(t, "state given back", f.job(id).State, herald.JobPending)
		js = f.claim("c", t0.Add(3*time.Minute), xMain)
		if len(js) != 1 || !js[0].Reconcile {
			t.Fatalf("claim after give-back = %+v, want Reconcile", js)
		}
		// Found on the network: sent, without a new attempt.
		f.must(f.FinishJob(f.ctx, id, "c", herald.Outcome{State: herald.JobSent, RemoteID: "found", SentAt: t0,
			Attempted: true}, t0.Add(3*time.Minute)))
		j := f.job(id)
		equal(t, "state", j.State, herald.JobSent)
		equal(t, "remote id", j.RemoteID, "found")
		equal(t, "attempts", j.Attempts, 1)
		equal(t, "error kind cleared", j.ErrorKind, herald.ErrorKind(""))
	}},
	{"UnknownOutcomeRetry", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain)
		id := a.Jobs[0]
		f.claim("a", t0, xMain)
		f.must(f.StartAttempt(f.ctx, id, "a", t0, time.Minute))
		f.must(f.FinishJob(f.ctx, id, "a", herald.Outcome{State: herald.JobPending, NextAttemptAt: t0.Add(time.Minute),
			Error: "timeout", ErrorKind: herald.ErrUnknownOutcome, Attempted: true}, t0))
		js := f.claim("a", t0.Add(time.Minute), xMain)
		if len(js) != 1 || !js[0].Reconcile {
			t.Fatalf("claim after an unknown outcome = %+v, want Reconcile", js)
		}
		// Not found: send again; a retryable failure clears the need to reconcile.
		f.must(f.StartAttempt(f.ctx, id, "a", t0.Add(time.Minute), time.Minute))
		f.must(f.FinishJob(f.ctx, id, "a", herald.Outcome{State: herald.JobPending, NextAttemptAt: t0.Add(2 * time.Minute),
			Error: "HTTP 503", ErrorKind: herald.ErrRetryable, Attempted: true}, t0.Add(time.Minute)))
		js = f.claim("a", t0.Add(2*time.Minute), xMain)
		if len(js) != 1 || js[0].Reconcile {
			t.Fatalf("claim after a retryable failure = %+v, want no Reconcile", js)
		}
		equal(t, "attempts", js[0].Attempts, 2)
		equal(t, "last error", js[0].LastError, "HTTP 503")
		equal(t, "error kind", js[0].ErrorKind, herald.ErrRetryable)
	}},
	{"FinishOutcomes", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain, xTwo, fbPage, mOne)
		js := f.claim("o", t0, xMain, xTwo, fbPage, mOne)
		if len(js) != 4 {
			t.Fatalf("claimed %d, want 4", len(js))
		}
		byAcct := map[string]int64{}
		for _, j := range js {
			byAcct[j.Account] = j.ID
			f.must(f.StartAttempt(f.ctx, j.ID, "o", t0, time.Minute))
		}
		f.must(f.FinishJob(f.ctx, byAcct[xMain], "o", herald.Outcome{State: herald.JobSent, RemoteID: "123",
			Permalink: "https://x.com/main/status/123", SentText: "Title https://example.com/a",
			SentAt: t0.Add(time.Second), Attempted: true}, t0.Add(time.Second)))
		f.must(f.FinishJob(f.ctx, byAcct[xTwo], "o", herald.Outcome{State: herald.JobSkipped,
			SkipReason: herald.SkipDuplicate, Error: "duplicate content", ErrorKind: herald.ErrDuplicate, Attempted: true}, t0))
		f.must(f.FinishJob(f.ctx, byAcct[fbPage], "o", herald.Outcome{State: herald.JobFailed, Error: "(#100) bad",
			ErrorKind: herald.ErrPermanent, Attempted: true}, t0))
		f.must(f.FinishJob(f.ctx, byAcct[mOne], "o", herald.Outcome{State: herald.JobPending,
			NextAttemptAt: t0.Add(time.Hour), Error: "budget", ErrorKind: herald.ErrBudget}, t0))

		sent := f.job(byAcct[xMain])
		equal(t, "sent state", sent.State, herald.JobSent)
		equal(t, "remote id", sent.RemoteID, "123")
		equal(t, "permalink", sent.Permalink, "https://x.com/main/status/123")
		equal(t, "sent text", sent.SentText, "Title https://example.com/a")
		sameTime(t, "sent at", sent.SentAt, t0.Add(time.Second))
		equal(t, "lease released", sent.ClaimedBy, "")
		equal(t, "attempts", sent.Attempts, 1)
		acct, err := f.GetAccount(f.ctx, xMain)
		f.must(err)
		sameTime(t, "account last sent", acct.LastSentAt, t0.Add(time.Second))

		skipped := f.job(byAcct[xTwo])
		equal(t, "skipped state", skipped.State, herald.JobSkipped)
		equal(t, "skip reason", skipped.SkipReason, herald.SkipDuplicate)
		equal(t, "skip error", skipped.LastError, "duplicate content")
		failed := f.job(byAcct[fbPage])
		equal(t, "failed state", failed.State, herald.JobFailed)
		equal(t, "failed error", failed.LastError, "(#100) bad")
		equal(t, "failed kind", failed.ErrorKind, herald.ErrPermanent)
		back := f.job(byAcct[mOne])
		equal(t, "given back state", back.State, herald.JobPending)
		equal(t, "unattempted is not counted", back.Attempts, 0)
		sameTime(t, "given back until", back.NextAttemptAt, t0.Add(time.Hour))

		errIs(t, "FinishJob twice", f.FinishJob(f.ctx, byAcct[xMain], "o",
			herald.Outcome{State: herald.JobSent, Attempted: true}, t0), herald.ErrLeaseLost)
		if err := f.FinishJob(f.ctx, a.Jobs[0], "o", herald.Outcome{State: herald.JobSending}, t0); err == nil {
			t.Error("FinishJob accepted state sending")
		}
	}},
	{"ConcurrentClaimers", func(t *testing.T, f *fixture) {
		accounts := []string{xMain, xTwo, fbPage, mOne}
		const stories = 60
		for i := range stories {
			f.article(fmt.Sprintf("https://example.com/%d", i), t0.Add(time.Duration(i)*time.Second), accounts...)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		holder := map[string]string{} // account → the instance sending its jobs
		var wg sync.WaitGroup
		for g := range 12 {
			owner := fmt.Sprintf("instance-%d", g)
			wg.Go(func() {
				m := map[string]time.Duration{}
				for _, a := range accounts {
					m[a] = 0
				}
				for range stories * len(accounts) { // bounded: every claim takes at least one job
					js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: t0.Add(time.Hour),
						Lease: time.Minute, Accounts: m, PerAccount: 3, Limit: 5})
					if err != nil {
						t.Error(err)
						return
					}
					if len(js) == 0 {
						return
					}
					left := perAccountCount(js)
					mu.Lock()
					for acct := range left {
						if h := holder[acct]; h != "" {
							t.Errorf("jobs of %s claimed by %s while %s holds some", acct, owner, h)
						}
						holder[acct] = owner
					}
					mu.Unlock()
					for _, j := range js {
						mu.Lock()
						if prev, dup := seen[j.ID]; dup {
							t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
						}
						seen[j.ID] = owner
						if left[j.Account]--; left[j.Account] == 0 {
							// Its last job here: another instance may take the
							// account once this one is finished.
							delete(holder, j.Account)
						}
						mu.Unlock()
						if err := f.StartAttempt(f.ctx, j.ID, owner, t0.Add(time.Hour), time.Minute); err != nil {
							t.Error(err)
							continue
						}
						if err := f.FinishJob(f.ctx, j.ID, owner, herald.Outcome{State: herald.JobSent,
							RemoteID: fmt.Sprint(j.ID), Attempted: true}, t0.Add(time.Hour)); err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
		wg.Wait()
		equal(t, "jobs claimed", len(seen), stories*len(accounts))
		counts, err := f.CountJobs(f.ctx, "")
		f.must(err)
		equal(t, "jobs sent", counts[herald.JobSent], stories*len(accounts))
	}},
}

func perAccountCount(js []herald.Job) map[string]int {
	m := map[string]int{}
	for _, j := range js {
		m[j.Account]++
	}
	return m
}
