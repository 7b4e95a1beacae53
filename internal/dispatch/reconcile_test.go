package dispatch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var errDropped = &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Twitter, Op: "create post",
	Err: errors.New("EOF")}

func TestUnknownOutcomeIsReconciledNotResent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		madeFirst bool // the dropped request did create the post
	}{{"post was made", true}, {"post was not made", false}} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			x := newFake(herald.Twitter, fx.clock.Now)
			x.publish = func(call int, _ herald.Message) (bool, error) {
				if call == 1 {
					return tc.madeFirst, errDropped
				}
				return true, nil
			}
			a := xAccount("x", x)
			a.Cost = XPrices
			fx.sync(a)
			id := fx.articles(1, "x")[0]
			d := fx.dispatcher([]Account{a}, Options{ReconcileDelay: 5 * time.Second})

			fx.runOnce(d)
			j := fx.job(id)
			if j.State != herald.JobPending || j.ErrorKind != herald.ErrUnknownOutcome || !j.NextAttemptAt.Equal(t0.Add(5*time.Second)) {
				t.Fatalf("after the drop: %s kind %q next %s", j.State, j.ErrorKind, j.NextAttemptAt)
			}
			fx.clock.Advance(5 * time.Second)
			fx.runOnce(d)
			j = fx.job(id)
			posts := x.Posts()
			if j.State != herald.JobSent || len(posts) != 1 || j.RemoteID != posts[0].ID {
				t.Fatalf("job %s remote %q, %d posts at the network; want sent once with the post's id", j.State, j.RemoteID, len(posts))
			}
			wantCalls := 2
			if tc.madeFirst {
				wantCalls = 1 // found: never sent again
			}
			if x.Calls() != wantCalls || x.finds != 1 {
				t.Fatalf("%d publish calls and %d searches, want %d and 1", x.Calls(), x.finds, wantCalls)
			}
			// The post is paid for once, and so is the search.
			spent, _ := fx.store.Spend(context.Background(), "x", monthStart(fx.clock.Now()))
			if want := Dollars(0.20) + Dollars(0.005); tc.madeFirst && spent != want {
				t.Fatalf("spend %d, want %d", spent, want)
			}
		})
	}
}

// crash leaves job id in sending under a dead owner, as a process killed
// during the API call would; made says whether its call reached the network.
func crash(t *testing.T, fx *fixture, x *fakePub, made bool) {
	t.Helper()
	ctx := context.Background()
	jobs, err := fx.store.ClaimJobs(ctx, herald.ClaimOptions{Owner: "dead", Now: fx.clock.Now(), Lease: 30 * time.Second,
		Accounts: map[string]time.Duration{"x": 0}, PerAccount: 1})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v, %d jobs", err, len(jobs))
	}
	if err := fx.store.StartAttempt(ctx, jobs[0].ID, "dead", fx.clock.Now(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if made {
		fx.clock.Advance(300 * time.Millisecond)
		if _, err := x.Publish(ctx, herald.Message{Text: "Story number 1 https://news.example/story/1", Link: "https://news.example/story/1"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCrashWhileSendingIsReconciled(t *testing.T) {
	t.Parallel()
	for _, made := range []bool{true, false} {
		t.Run(map[bool]string{true: "post was made", false: "post was not made"}[made], func(t *testing.T) {
			fx, x, accts, id := oneXJob(t)
			crash(t, fx, x, made)
			d := fx.dispatcher(accts, Options{Lease: 30 * time.Second})

			if n := fx.runOnce(d); n != 0 || x.Calls() != map[bool]int{true: 1, false: 0}[made] {
				t.Fatalf("a job held by a live lease was taken (%d handled, %d calls)", n, x.Calls())
			}
			fx.clock.Advance(30 * time.Second)
			fx.runOnce(d)
			j := fx.job(id)
			if j.State != herald.JobSent || len(x.Posts()) != 1 || j.RemoteID != x.Posts()[0].ID {
				t.Fatalf("job %s remote %q with %d posts at the network, want sent exactly once", j.State, j.RemoteID, len(x.Posts()))
			}
			if x.finds != 1 {
				t.Fatalf("%d searches before sending, want 1", x.finds)
			}
		})
	}
}

func TestFailedSearchNeverResendsBlindly(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	crash(t, fx, x, true)
	x.find = func(string, time.Time) error { return &herald.Error{Kind: herald.ErrRetryable, Status: 503} }
	d := fx.dispatcher(accts, Options{BackoffBase: time.Second, BackoffMax: time.Second})

	for range 3 {
		fx.clock.Advance(31 * time.Second)
		fx.runOnce(d)
		if j := fx.job(id); j.State != herald.JobPending || j.ErrorKind != herald.ErrUnknownOutcome {
			t.Fatalf("after a failed search: %s kind %q, want pending and still to reconcile", j.State, j.ErrorKind)
		}
	}
	if x.Calls() != 1 {
		t.Fatalf("sent again (%d calls) without knowing whether the post exists", x.Calls())
	}
	x.set(func(f *fakePub) { f.find = nil })
	fx.clock.Advance(time.Second)
	fx.runOnce(d)
	if j := fx.job(id); j.State != herald.JobSent || len(x.Posts()) != 1 {
		t.Fatalf("job %s with %d posts, want sent once found", j.State, len(x.Posts()))
	}
}

func TestSearchAuthErrorPausesAndKeepsTheJob(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	crash(t, fx, x, false)
	x.find = func(string, time.Time) error {
		return &herald.Error{Kind: herald.ErrAuth, Status: 401, Message: "Unauthorized"}
	}
	fx.clock.Advance(time.Minute)
	fx.runOnce(fx.dispatcher(accts, Options{}))
	acc, _ := fx.store.GetAccount(context.Background(), "x")
	if j := fx.job(id); !acc.Paused || j.State != herald.JobPending || j.ErrorKind != herald.ErrUnknownOutcome || x.Calls() != 0 {
		t.Fatalf("paused=%v job %s kind %q calls %d", acc.Paused, j.State, j.ErrorKind, x.Calls())
	}
}

func TestLostLeaseDropsTheResult(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	// Our call outlives its lease and another instance takes the job over.
	x.publish = func(int, herald.Message) (bool, error) {
		fx.clock.Advance(31 * time.Second)
		jobs, err := fx.store.ClaimJobs(context.Background(), herald.ClaimOptions{Owner: "other", Now: fx.clock.Now(),
			Accounts: map[string]time.Duration{"x": 0}})
		if err != nil || len(jobs) != 1 || !jobs[0].Reconcile {
			t.Errorf("takeover: %v, %+v", err, jobs)
		}
		return true, nil
	}
	d := fx.dispatcher(accts, Options{Lease: 30 * time.Second})
	fx.runOnce(d)
	if j := fx.job(id); j.State != herald.JobSending || j.ClaimedBy != "other" {
		t.Fatalf("job %s claimed by %q: our late result overwrote the new owner's claim", j.State, j.ClaimedBy)
	}
	if fx.logs.Count("lease lost") != 1 {
		t.Fatal("the lost lease was not logged")
	}
}

func TestRepeatedDropsEndFailedOnlyOnceKnownUnposted(t *testing.T) {
	t.Parallel()
	fx, x, accts, id := oneXJob(t)
	x.publish = func(int, herald.Message) (bool, error) { return false, errDropped } // never made
	d := fx.dispatcher(accts, Options{MaxAttempts: 3, ReconcileDelay: time.Second})
	for range 10 {
		fx.runOnce(d)
		fx.clock.Advance(time.Second)
	}
	j := fx.job(id)
	if j.State != herald.JobFailed || j.Attempts != 3 || x.Calls() != 3 || x.finds != 3 {
		t.Fatalf("job %s after %d attempts, %d calls, %d searches; want failed after 3 calls, each followed by a search",
			j.State, j.Attempts, x.Calls(), x.finds)
	}
}
