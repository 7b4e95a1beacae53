package dispatch

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/herald"
)

func TestSendsEveryJobOnceInPublicationOrder(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x, fb := newFake(herald.Twitter, fx.clock.Now), newFake(herald.Facebook, fx.clock.Now)
	accts := []Account{xAccount("x_main", x), {ID: "fb_page", Network: herald.Facebook, Publisher: fb}}
	fx.sync(accts...)
	ids := fx.articles(12, "x_main", "fb_page")
	d := fx.dispatcher(accts, Options{PerAccount: 5})

	if n := fx.runOnce(d); n != 24 {
		t.Fatalf("RunOnce handled %d jobs, want 24", n)
	}
	if n := fx.runOnce(d); n != 0 {
		t.Fatalf("second RunOnce handled %d jobs, want 0", n)
	}
	for _, f := range []*fakePub{x, fb} {
		posts := f.Posts()
		if len(posts) != 12 {
			t.Fatalf("%s got %d posts, want 12", f.network, len(posts))
		}
		for i, p := range posts {
			want := "https://news.example/story/" + strconv.Itoa(i+1)
			if p.Link != want || p.Text != "Story number "+strconv.Itoa(i+1)+" "+want {
				t.Errorf("%s post %d = %q %q, want story %d (publication order)", f.network, i, p.Text, p.Link, i+1)
			}
		}
	}
	for _, id := range ids {
		j := fx.job(id)
		if j.State != herald.JobSent || j.RemoteID == "" || j.Permalink == "" || j.SentText == "" || j.Attempts != 1 {
			t.Errorf("job %d = %s remote %q permalink %q text %q attempts %d", id, j.State, j.RemoteID, j.Permalink, j.SentText, j.Attempts)
		}
	}
}

func TestRetryableErrorsBackOffThenFail(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	x.publish = func(int, herald.Message) (bool, error) {
		return false, &herald.Error{Kind: herald.ErrRetryable, Network: herald.Twitter, Status: 503, Message: "Service Unavailable"}
	}
	d := fx.dispatcher(accts, Options{MaxAttempts: 4, BackoffBase: 10 * time.Second, BackoffMax: time.Minute})

	wantMax := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}
	for attempt, max := range wantMax {
		fx.runOnce(d)
		j := fx.job(id)
		if j.State != herald.JobPending || j.Attempts != attempt+1 || j.ErrorKind != herald.ErrRetryable {
			t.Fatalf("after attempt %d: %s attempts %d kind %q", attempt+1, j.State, j.Attempts, j.ErrorKind)
		}
		wait := j.NextAttemptAt.Sub(fx.clock.Now())
		if wait < max/2 || wait > max {
			t.Fatalf("after attempt %d: retry in %s, want %s..%s", attempt+1, wait, max/2, max)
		}
		// Not due yet: nothing happens.
		fx.clock.Advance(wait - time.Millisecond)
		if n := fx.runOnce(d); n != 0 {
			t.Fatalf("job retried %s early", time.Millisecond)
		}
		fx.clock.Advance(time.Millisecond)
	}
	fx.runOnce(d)
	j := fx.job(id)
	if j.State != herald.JobFailed || j.Attempts != 4 || j.LastError != "Service Unavailable" {
		t.Fatalf("after the last attempt: %s attempts %d error %q, want failed after 4 with the API's message", j.State, j.Attempts, j.LastError)
	}
	if x.Calls() != 4 {
		t.Fatalf("publisher called %d times, want 4", x.Calls())
	}
}

// failingHourApart runs a dispatcher with opts twice, an hour apart, over
// one X job whose every call fails with err: the job after, and the fake.
func failingHourApart(t *testing.T, err error, opts Options) (herald.Job, *fakePub) {
	t.Helper()
	fx, x, accts, id := oneXJob(t)
	x.publish = func(int, herald.Message) (bool, error) { return false, err }
	d := fx.dispatcher(accts, opts)
	fx.runOnce(d)
	fx.clock.Advance(time.Hour)
	fx.runOnce(d)
	return fx.job(id), x
}

func TestRetryForEndsRetries(t *testing.T) {
	t.Parallel()
	if j, _ := failingHourApart(t, errors.New("connection refused"), Options{RetryFor: time.Hour}); j.State != herald.JobFailed || j.Attempts != 2 {
		t.Fatalf("job %s after %d attempts, want failed once older than RetryFor", j.State, j.Attempts)
	}
}

func TestRetryThenSent(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	x.publish = func(call int, _ herald.Message) (bool, error) {
		if call <= 2 {
			return false, &herald.Error{Kind: herald.ErrRetryable, Status: 500}
		}
		return true, nil
	}
	d := fx.dispatcher(accts, Options{BackoffBase: time.Second, BackoffMax: time.Second})
	for range 3 {
		fx.runOnce(d)
		fx.clock.Advance(time.Second)
	}
	if j := fx.job(id); j.State != herald.JobSent || j.Attempts != 3 || len(x.Posts()) != 1 {
		t.Fatalf("job %s attempts %d posts %d, want sent on the third attempt, once", j.State, j.Attempts, len(x.Posts()))
	}
}

func TestRateLimitHoldsTheAccountWithoutUsingAttempts(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x := newFake(herald.Twitter, fx.clock.Now)
	reset := t0.Add(15 * time.Minute)
	x.publish = func(call int, _ herald.Message) (bool, error) {
		if call == 1 {
			return false, &herald.Error{Kind: herald.ErrRateLimited, Status: 429, Message: "Too Many Requests", RetryAt: reset}
		}
		return true, nil
	}
	other := newFake(herald.Twitter, fx.clock.Now)
	accts := []Account{xAccount("x", x), xAccount("y", other)}
	fx.sync(accts...)
	ids := fx.articles(3, "x", "y")
	// One attempt allowed: a rate limit must not use it up.
	d := fx.dispatcher(accts, Options{MaxAttempts: 1})

	fx.runOnce(d)
	if x.Calls() != 1 || len(other.Posts()) != 3 {
		t.Fatalf("calls to x = %d, posts to y = %d; want 1 (then held) and 3 (not held)", x.Calls(), len(other.Posts()))
	}
	// Held one second past the announced reset: a call in the reset's own
	// second may still count against the old window.
	acc, err := fx.store.GetAccount(context.Background(), "x")
	if err != nil || !acc.HoldUntil.Equal(reset.Add(time.Second)) {
		t.Fatalf("x hold until %v (%v), want %v", acc.HoldUntil, err, reset.Add(time.Second))
	}
	fx.clock.Advance(14 * time.Minute)
	if fx.runOnce(d); x.Calls() != 1 {
		t.Fatal("x called during its hold")
	}
	fx.clock.Advance(time.Minute)
	if fx.runOnce(d); x.Calls() != 1 {
		t.Fatal("x called at the very second of the reset")
	}
	fx.clock.Advance(time.Second)
	fx.runOnce(d)
	if len(x.Posts()) != 3 {
		t.Fatalf("x has %d posts after the reset, want 3", len(x.Posts()))
	}
	if j := fx.job(ids[0]); j.State != herald.JobSent || j.Attempts != 1 {
		t.Fatalf("rate-limited job %s with %d attempts, want sent with 1", j.State, j.Attempts)
	}
}

func TestExhaustedAllowanceHoldsUntilReset(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x := newFake(herald.Twitter, fx.clock.Now)
	reset := t0.Add(10 * time.Minute)
	x.limits = []herald.RateLimit{{Limit: 17, Remaining: 0, Reset: reset}}
	accts := []Account{xAccount("x", x)}
	fx.sync(accts...)
	fx.articles(2, "x")
	d := fx.dispatcher(accts, Options{PerAccount: 1})
	fx.runOnce(d)
	if n := len(x.Posts()); n != 1 {
		t.Fatalf("%d posts, want 1 before the allowance resets", n)
	}
	fx.clock.Set(reset)
	if fx.runOnce(d); len(x.Posts()) != 1 {
		t.Fatal("a post at the very second of the reset")
	}
	fx.clock.Set(reset.Add(time.Second))
	fx.runOnce(d)
	if n := len(x.Posts()); n != 2 {
		t.Fatalf("%d posts after the reset, want 2", n)
	}
}

func TestAuthErrorPausesOnlyThatAccount(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	bad, good := newFake(herald.Facebook, fx.clock.Now), newFake(herald.Twitter, fx.clock.Now)
	bad.publish = func(int, herald.Message) (bool, error) {
		return false, &herald.Error{Kind: herald.ErrAuth, Network: herald.Facebook, Code: 190,
			Message: "Error validating access token: Session has expired"}
	}
	accts := []Account{{ID: "fb", Network: herald.Facebook, Publisher: bad}, xAccount("x", good)}
	fx.sync(accts...)
	ids := fx.articles(4, "fb", "x")
	d := fx.dispatcher(accts, Options{})

	fx.runOnce(d)
	if bad.Calls() != 1 || len(good.Posts()) != 4 {
		t.Fatalf("calls to fb = %d, posts to x = %d; want 1 then paused, and 4", bad.Calls(), len(good.Posts()))
	}
	acc, _ := fx.store.GetAccount(context.Background(), "fb")
	if !acc.Paused || !strings.Contains(acc.PauseReason, "Session has expired") {
		t.Fatalf("fb paused=%v reason %q", acc.Paused, acc.PauseReason)
	}
	fx.clock.Advance(time.Hour)
	if fx.runOnce(d); bad.Calls() != 1 {
		t.Fatal("a paused account was called")
	}
	if c := fx.states(); c[herald.JobPending] != 4 || c[herald.JobSent] != 4 {
		t.Fatalf("states %v, want 4 pending (nothing lost) and 4 sent", c)
	}

	bad.set(func(f *fakePub) { f.publish = nil })
	if err := fx.store.ResumeAccount(context.Background(), "fb"); err != nil {
		t.Fatal(err)
	}
	fx.runOnce(d)
	if len(bad.Posts()) != 4 {
		t.Fatalf("fb has %d posts after resume, want 4", len(bad.Posts()))
	}
	for _, id := range ids {
		if j := fx.job(id); j.State != herald.JobSent {
			t.Errorf("job %d is %s", id, j.State)
		}
	}
}

func TestDuplicateIsSkippedNotRetried(t *testing.T) {
	t.Parallel()
	j, x := failingHourApart(t, &herald.Error{Kind: herald.ErrDuplicate, Status: 403,
		Message: "You are not allowed to create a Tweet with duplicate content."}, Options{})
	if j.State != herald.JobSkipped || j.SkipReason != herald.SkipDuplicate || !strings.Contains(j.LastError, "duplicate content") {
		t.Fatalf("job %s reason %q error %q", j.State, j.SkipReason, j.LastError)
	}
	if x.Calls() != 1 {
		t.Fatalf("%d calls, want 1", x.Calls())
	}
}

func TestPermanentErrorFails(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	x.publish = func(int, herald.Message) (bool, error) {
		return false, &herald.Error{Kind: herald.ErrPermanent, Status: 400, Message: "Invalid Request: text"}
	}
	fx.runOnce(fx.dispatcher(accts, Options{}))
	if j := fx.job(id); j.State != herald.JobFailed || j.LastError != "Invalid Request: text" || j.ErrorKind != herald.ErrPermanent {
		t.Fatalf("job %s error %q kind %q", j.State, j.LastError, j.ErrorKind)
	}
}

func TestComposeErrors(t *testing.T) {
	t.Parallel()
	fx, x, a := xFixture(t, func(a *Account) {
		a.Compose = func(art herald.Article, j herald.Job) (herald.Message, error) {
			if strings.HasSuffix(art.URL, "/1") {
				return herald.Message{}, &herald.Error{Kind: herald.ErrPermanent, Op: "compose",
					Message: "too long: the post is 301, the limit 280", Err: compose.ErrTooLong}
			}
			return herald.Message{}, &herald.Error{Kind: herald.ErrPermanent, Op: "compose",
				Message: "job template: template: x:1: function \"nope\" not defined"}
		}
	})
	ids := fx.articles(2, "x")
	fx.runOnce(fx.dispatcher([]Account{a}, Options{}))
	if j := fx.job(ids[0]); j.State != herald.JobSkipped || j.SkipReason != herald.SkipTooLong || !strings.Contains(j.LastError, "301") {
		t.Errorf("too long: job %s reason %q error %q", j.State, j.SkipReason, j.LastError)
	}
	if j := fx.job(ids[1]); j.State != herald.JobFailed || !strings.Contains(j.LastError, "nope") {
		t.Errorf("bad template: job %s error %q", j.State, j.LastError)
	}
	if x.Calls() != 0 {
		t.Errorf("%d calls to the network, want 0", x.Calls())
	}
}

func TestDryRunComposesAndSkips(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	fx.runOnce(fx.dispatcher(accts, Options{DryRun: true}))
	j := fx.job(id)
	if j.State != herald.JobSkipped || j.SkipReason != herald.SkipDryRun {
		t.Fatalf("job %s reason %q", j.State, j.SkipReason)
	}
	if fx.logs.Count(`msg="dry run: not sent" owner=test account=x job_id=1`) != 1 || fx.logs.Count(`text="Story number 1 https://news.example/story/1"`) != 1 {
		t.Fatal("the composed post was not logged")
	}
	if x.Calls() != 0 {
		t.Fatalf("%d calls in dry run", x.Calls())
	}
}
