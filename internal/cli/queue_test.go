package cli

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// settle claims every due job at `at` and records the outcome planned for
// it (by job ID); the other claimed jobs are given back untouched.
func settle(t *testing.T, db *sqlite.DB, at time.Time, outcomes map[int64]herald.Outcome) {
	t.Helper()
	ctx := context.Background()
	jobs, err := db.ClaimJobs(ctx, herald.ClaimOptions{Owner: "test", Now: at, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x_main": 0, "fb_page": 0}, PerAccount: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		o, planned := outcomes[j.ID]
		if !planned {
			o = herald.Outcome{State: herald.JobPending, NextAttemptAt: j.NextAttemptAt}
		} else if err := db.StartAttempt(ctx, j.ID, "test", at, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishJob(ctx, j.ID, "test", o, at); err != nil {
			t.Fatal(err)
		}
		delete(outcomes, j.ID)
	}
	if len(outcomes) > 0 {
		t.Fatalf("jobs %v were not claimed", outcomes)
	}
}

// newsDesk fills the store with jobs in every state and accounts paused,
// held, charged and with an expiring token. It returns the job IDs by name.
func newsDesk(t *testing.T, db *sqlite.DB) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	created := opsT0.Add(-2 * time.Hour)
	pub := func(d time.Duration) time.Time { return opsT0.Add(-d) }
	saveArticles(t, db, "world", created, []string{"x_main", "fb_page"},
		herald.ArticleInput{URL: "https://example.com/storm", Title: "Storm hits the coast", PublishedAt: pub(3 * time.Hour)})
	saveArticles(t, db, "sports", created, []string{"x_main"},
		herald.ArticleInput{URL: "https://example.com/final", Title: "Rapids win the final", PublishedAt: pub(150 * time.Minute)})
	saveArticles(t, db, "business", created, []string{"fb_page"},
		herald.ArticleInput{URL: "https://example.com/budget", Title: "Budget passes", PublishedAt: pub(140 * time.Minute)},
		herald.ArticleInput{URL: "https://example.com/rates", Title: "Rates held at 4%", PublishedAt: pub(130 * time.Minute)})
	jobs, err := db.ListJobs(ctx, herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]int64{}
	for _, j := range jobs {
		id[strings.TrimPrefix(j.Article.URL, "https://example.com/")+"/"+j.Account] = j.ID
	}
	if len(id) != 5 {
		t.Fatalf("jobs %v", id)
	}
	at := opsT0.Add(-90 * time.Minute)
	settle(t, db, at, map[int64]herald.Outcome{
		id["storm/x_main"]: {State: herald.JobSent, RemoteID: "1900000000000000100", Permalink: "https://x.com/herald/status/1900000000000000100",
			SentText: "Storm hits the coast https://example.com/storm", SentAt: at, Attempted: true},
		id["storm/fb_page"]: {State: herald.JobFailed, ErrorKind: herald.ErrAuth, Attempted: true,
			Error: "facebook: create post: auth (HTTP 400, code 190): Error validating access token: Session has expired"},
		id["final/x_main"]: {State: herald.JobSkipped, SkipReason: herald.SkipTooLong, ErrorKind: herald.ErrPermanent, Attempted: true,
			Error: "twitter: compose: permanent: too long: the text given is 301, the limit 280"},
		id["rates/fb_page"]: {State: herald.JobPending, NextAttemptAt: opsT0.Add(5 * time.Minute), ErrorKind: herald.ErrRetryable,
			Error: "facebook: create post: retryable (HTTP 503)", Attempted: true},
	})
	storm, err := db.FindArticle(ctx, "https://example.com/storm")
	if err != nil {
		t.Fatal(err)
	}
	adhoc, err := db.CreateJob(ctx, herald.NewJob{ArticleID: storm.ID, Account: "x_main", Kind: herald.KindAdhoc,
		Text: "Our live coverage", DueAt: opsT0.Add(10 * time.Minute)}, opsT0.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	id["adhoc/x_main"] = adhoc.ID

	for _, err := range []error{
		db.PauseAccount(ctx, "fb_page", "facebook: create post: auth (HTTP 400, code 190): Error validating access token"),
		db.HoldAccount(ctx, "x_main", opsT0.Add(5*time.Minute), "rate limited"),
		db.SetTokenExpiry(ctx, "fb_page", opsT0.Add(72*time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []herald.Charge{
		{Account: "x_main", Kind: herald.CostPostWithLink, Amount: 200_000, At: at},
		{Account: "x_main", Kind: herald.CostRead, RemoteID: "1", Amount: 5_000, At: at},
		{Account: "x_main", Kind: herald.CostRead, RemoteID: "2", Amount: 5_000, At: at},
		{Account: "x_main", Kind: herald.CostRead, RemoteID: "3", Amount: 5_000, At: opsT0.AddDate(0, -1, 0)}, // last month
	} {
		if _, err := db.RecordCharge(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// queueIDs runs herald queue --format json with args and returns the job IDs.
func queueIDs(t *testing.T, cfg string, args ...string) []int64 {
	t.Helper()
	rows := jsonRows[queueRow](t, ok(t, cfg, append([]string{"queue", "--format", "json"}, args...)...), "jobs")
	return pluck(rows, func(r queueRow) int64 { return r.ID })
}

func TestQueueList(t *testing.T) {
	cfg, db := opsWorld(t, "")
	if out := ok(t, cfg, "queue"); out != "The queue is empty: no post jobs yet.\n" {
		t.Errorf("empty queue: %q", out)
	}
	id := newsDesk(t, db)
	golden(t, "queue.golden", ok(t, cfg, "queue"))
	golden(t, "queue.json.golden", ok(t, cfg, "queue", "--format", "json"))
	golden(t, "queue.csv.golden", ok(t, cfg, "queue", "--format", "csv"))

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"adhoc/x_main", "rates/fb_page", "budget/fb_page", "final/x_main", "storm/fb_page", "storm/x_main"}},
		{[]string{"--state", "failed"}, []string{"storm/fb_page"}},
		{[]string{"--state", "pending,skipped", "--account", "fb_page"}, []string{"rates/fb_page", "budget/fb_page"}},
		{[]string{"--state", "sent", "--state", "skipped"}, []string{"final/x_main", "storm/x_main"}},
		{[]string{"--account", "x_main", "--limit", "2"}, []string{"adhoc/x_main", "final/x_main"}},
		{[]string{"--state", "sending"}, nil},
	} {
		want := make([]int64, len(tc.want))
		for i, name := range tc.want {
			want[i] = id[name]
		}
		if got := queueIDs(t, cfg, tc.args...); !slices.Equal(got, want) {
			t.Errorf("queue %v = %v, want %v (%v)", tc.args, got, want, tc.want)
		}
	}
	if out := ok(t, cfg, "queue", "--state", "sending"); out != "No jobs match.\n" {
		t.Errorf("no match: %q", out)
	}
	refusesUsage(t, cfg, "queue", []usageCase{
		{[]string{"--state", "done"}, "--state"},
		{[]string{"--limit", "-5"}, "--limit"},
		{[]string{"--format", "html"}, "--format"},
		{[]string{"nope"}, `unknown command "nope"`},
	})
	fails(t, cfg, ExitFailure, []string{"queue", "--account", "x_backup"}, `--account: no account is named "x_backup"`)
}

func TestQueueRetryAndCancel(t *testing.T) {
	cfg, db := opsWorld(t, "")
	id := newsDesk(t, db)
	ctx := context.Background()
	state := func(name string) herald.Job {
		t.Helper()
		j, err := db.GetJob(ctx, id[name])
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	itoa64 := func(n int64) string { return itoa(int(n)) }

	// Unknown jobs and jobs in the wrong state: exit 1, clearly.
	fails(t, cfg, ExitFailure, []string{"queue", "retry", "999"}, "job 999 does not exist")
	fails(t, cfg, ExitFailure, []string{"queue", "cancel", "999"}, "job 999 does not exist")
	fails(t, cfg, ExitFailure, []string{"queue", "retry", itoa64(id["storm/x_main"])},
		"(x_main: Storm hits the coast) is sent: only a failed or skipped job can be retried")
	fails(t, cfg, ExitFailure, []string{"queue", "cancel", itoa64(id["final/x_main"])}, "is skipped: only a pending job can be cancelled")
	// Wrong calls: exit 2.
	fails(t, cfg, ExitUsage, []string{"queue", "retry", "abc"}, "JOB: must be a job ID")
	fails(t, cfg, ExitUsage, []string{"queue", "retry", "0"}, "JOB: must be a job ID")
	fails(t, cfg, ExitUsage, []string{"queue", "retry"}, "--failed")
	fails(t, cfg, ExitUsage, []string{"queue", "retry", "3", "--failed"}, "not both")
	fails(t, cfg, ExitUsage, []string{"queue", "cancel"}, "accepts 1 arg")
	fails(t, cfg, ExitUsage, []string{"queue", "cancel", "1", "2"}, "accepts 1 arg")

	setNow(t, opsT0.Add(time.Minute))
	out := ok(t, cfg, "queue", "retry", itoa64(id["final/x_main"]))
	if j := state("final/x_main"); j.State != herald.JobPending || j.Attempts != 0 || !j.NextAttemptAt.Equal(opsT0.Add(time.Minute)) ||
		out != "Retrying job "+itoa64(j.ID)+" (x_main: Rapids win the final): pending again, due now.\n" {
		t.Errorf("retried: %+v\n%s", j, out)
	}
	out = ok(t, cfg, "queue", "cancel", "#"+itoa64(id["budget/fb_page"]))
	if j := state("budget/fb_page"); j.State != herald.JobSkipped || j.SkipReason != herald.SkipCancelled ||
		!strings.HasPrefix(out, "Cancelled job ") {
		t.Errorf("cancelled: %+v\n%s", j, out)
	}
	fails(t, cfg, ExitFailure, []string{"queue", "cancel", itoa64(id["budget/fb_page"])}, "is skipped")
	// A cancelled job can be brought back.
	ok(t, cfg, "queue", "retry", itoa64(id["budget/fb_page"]))
	if j := state("budget/fb_page"); j.State != herald.JobPending {
		t.Errorf("cancelled then retried: %s", j.State)
	}
	// Every failed job at once: off a terminal nothing is asked, so --yes
	// is needed.
	fails(t, cfg, ExitUsage, []string{"queue", "retry", "--failed"}, "not on a terminal", "add --yes")
	if j := state("storm/fb_page"); j.State != herald.JobFailed {
		t.Errorf("failed job after --failed without --yes: %s", j.State)
	}
	if out := ok(t, cfg, "queue", "retry", "--failed", "--yes"); out != "Retrying 1 failed job: pending again, due now.\n" {
		t.Errorf("--failed --yes: %q", out)
	}
	if j := state("storm/fb_page"); j.State != herald.JobPending {
		t.Errorf("failed job after --failed: %s", j.State)
	}
	if out := ok(t, cfg, "queue", "retry", "--failed", "--yes"); out != "No failed jobs: nothing to retry.\n" {
		t.Errorf("--failed again: %q", out)
	}
}

// onTerminal runs a command line with stdin, stdout and stderr on a
// pseudo-terminal, answer typed at it, and returns its exit status and what
// the terminal showed.
func onTerminal(t *testing.T, answer string, args ...string) (int, string) {
	t.Helper()
	ptmx, tty := openPTY(t)
	var (
		mu   sync.Mutex
		seen bytes.Buffer
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			seen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	if _, err := ptmx.Write([]byte(answer)); err != nil { // held by the terminal until read
		t.Fatal(err)
	}
	a := NewApp(tty, tty)
	a.SetIn(tty)
	code := a.Run(context.Background(), args)
	tty.Close() // the reader sees the end of what was written
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	mu.Lock()
	defer mu.Unlock()
	return code, strings.ReplaceAll(seen.String(), "\r\n", "\n")
}

func TestQueueOnATerminal(t *testing.T) {
	cfg, db := opsWorld(t, "")
	id := newsDesk(t, db)
	failed := func() herald.JobState {
		j, err := db.GetJob(context.Background(), id["storm/fb_page"])
		if err != nil {
			t.Fatal(err)
		}
		return j.State
	}
	code, screen := onTerminal(t, "n\n", "-c", cfg, "queue", "retry", "--failed")
	if code != ExitFailure || !strings.Contains(screen, "Retry 1 failed job now? [y/N] ") || !strings.Contains(screen, "nothing was done") ||
		failed() != herald.JobFailed {
		t.Errorf("answered no: exit %d, state %s:\n%s", code, failed(), screen)
	}
	code, screen = onTerminal(t, "y\n", "-c", cfg, "queue", "retry", "--failed")
	if code != ExitOK || !strings.Contains(screen, "Retrying 1 failed job:") || failed() != herald.JobPending {
		t.Errorf("answered yes: exit %d, state %s:\n%s", code, failed(), screen)
	}
	// Colour on a terminal (bold header, green sent), none with NO_COLOR.
	if _, screen := onTerminal(t, "", "-c", cfg, "queue", "--state", "sent"); !strings.Contains(screen, "\x1b[1mID\x1b[0m") ||
		!strings.Contains(screen, "\x1b[32msent\x1b[0m") {
		t.Errorf("no colour on a terminal:\n%q", screen)
	}
	t.Setenv("NO_COLOR", "1")
	if _, screen := onTerminal(t, "", "-c", cfg, "queue"); strings.Contains(screen, "\x1b[") {
		t.Errorf("colour despite NO_COLOR:\n%q", screen)
	}
	// On a terminal the command first names the configuration and the
	// database it reads.
	if _, screen := onTerminal(t, "", "-c", cfg, "queue"); !strings.HasPrefix(screen, "Using "+cfg+", database sqlite:") {
		t.Errorf("no configuration and database named first:\n%s", screen)
	}
	// On a terminal (120 columns) the widest free-text column, the error,
	// is cut to fit; off one, nothing is (see queue.golden).
	if _, screen := onTerminal(t, "", "-c", cfg, "queue"); !strings.Contains(screen, "facebook: creat…") ||
		strings.Contains(screen, "Session has expired") || !strings.Contains(screen, "…") {
		t.Errorf("the error column was not cut to the terminal's width:\n%s", screen)
	}
}

// TestQueueRetryKeepsAScheduledTime checks that retrying a job scheduled
// for later (repost --at, then cancelled) puts it back at its time, not now.
func TestQueueRetryKeepsAScheduledTime(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	id := strconv.FormatInt(d.id("storm"), 10)
	due := d.now.Add(26 * time.Hour)
	fails(t, d.cfg, ExitOK, []string{"repost", id, "--at", due.Format(time.RFC3339), "--account", "fb_page"})
	jobs := d.jobs(t, d.id("storm"))
	job := strconv.FormatInt(jobs[len(jobs)-1].ID, 10)
	fails(t, d.cfg, ExitOK, []string{"queue", "cancel", job})
	out, _ := fails(t, d.cfg, ExitOK, []string{"queue", "retry", job})
	if !strings.Contains(out, "pending again, due "+due.UTC().Format(time.RFC3339)+" as scheduled") {
		t.Errorf("retry said %q", out)
	}
	jobs = d.jobs(t, d.id("storm"))
	if j := jobs[len(jobs)-1]; j.State != herald.JobPending || !j.NextAttemptAt.Equal(due) {
		t.Errorf("after retry: %s, due %s; want pending, due %s", j.State, j.NextAttemptAt, due)
	}
}
