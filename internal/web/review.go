package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// maxReviewText bounds the text an editor gives a post on approval.
const maxReviewText = 5000

// enableReview adds the review page: the posts held for review (review:
// true), each with an approve button (with an optional new text) and a
// reject button. Admin only; the forms carry a token bound to the session
// and are refused from another origin.
//
//	GET  /review               the held posts, in queue order
//	POST /review/{id}/approve  send it (text: the post's new text)
//	POST /review/{id}/reject   skip it (rejected)
func (d *dashboard) enableReview() {
	d.s.Handle("GET /review", d.admin(http.HandlerFunc(d.handleReview)))
	d.s.Handle("POST /review/{id}/{action}", d.admin(http.HandlerFunc(d.handleReviewAction)))
}

// reviewPage is the review page's data.
type reviewPage struct {
	Posts    []reviewPost
	Token    string
	Done     string // what the last action did
	Problem  string
	LoggedIn bool
}

type reviewPost struct {
	ID                      int64
	Account, Title, URL     string
	Text                    string
	Breaking                bool
	Published, Held, Action string
}

func (d *dashboard) handleReview(w http.ResponseWriter, r *http.Request) {
	setPageSecurity(w)
	page := reviewPage{Token: d.auth.formToken(w, r), LoggedIn: d.auth.token != ""}
	switch done := r.URL.Query().Get("done"); {
	case strings.HasPrefix(done, "approved-"):
		page.Done = "Post " + strings.TrimPrefix(done, "approved-") + " approved: it goes out in its place in the queue."
	case strings.HasPrefix(done, "rejected-"):
		page.Done = "Post " + strings.TrimPrefix(done, "rejected-") + " rejected: it will not be sent."
	}
	jobs, err := d.s.opts.Store.ListJobs(r.Context(), herald.JobFilter{States: []herald.JobState{herald.JobHeld}, Limit: 500})
	if err != nil {
		d.s.logger.Error("review: list held posts", "error", err)
		page.Problem = "The held posts could not be loaded."
	}
	// Queue order: breaking first, then by publication.
	slices.SortStableFunc(jobs, func(a, b herald.Job) int {
		if a.Priority != b.Priority {
			return int(b.Priority - a.Priority)
		}
		return published(a).Compare(published(b))
	})
	now := d.s.opts.Now()
	for _, j := range jobs {
		p := reviewPost{ID: j.ID, Account: j.Account, Text: j.Text, Breaking: j.Priority >= herald.PriorityBreaking,
			Held: ago(now, j.CreatedAt), Action: "/review/" + strconv.FormatInt(j.ID, 10) + "/"}
		if j.Article != nil {
			p.Title, p.URL, p.Published = j.Article.Title, j.Article.URL, when(j.Article.PublishedAt)
		}
		page.Posts = append(page.Posts, p)
	}
	d.page(w, http.StatusOK, "review.html", page)
}

// published is a job's article's publication time (zero if unknown).
func published(j herald.Job) time.Time {
	if j.Article == nil {
		return time.Time{}
	}
	return j.Article.PublishedAt
}

func (d *dashboard) handleReviewAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		d.message(w, http.StatusBadRequest, "Bad request", "The form could not be read.", "")
		return
	}
	if !d.auth.validForm(r) {
		d.message(w, http.StatusForbidden, "Forbidden", "The form has expired or did not come from this page.",
			"Open the review page again and retry.")
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.message(w, http.StatusNotFound, "Not found", "No such post.", "")
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if len(text) > maxReviewText {
		d.message(w, http.StatusBadRequest, "Text too long", "The post's text is longer than 5000 bytes.", "")
		return
	}
	st, now := d.s.opts.Store, d.s.opts.Now()
	var done string
	switch r.PathValue("action") {
	case "approve":
		err, done = st.ApproveJob(r.Context(), id, text, now), "approved-"
	case "reject":
		err, done = st.RejectJob(r.Context(), id, now), "rejected-"
	default:
		d.message(w, http.StatusNotFound, "Not found", "No such action.", "")
		return
	}
	switch {
	case errors.Is(err, herald.ErrNotFound):
		d.message(w, http.StatusNotFound, "Not found", "No such post.", "")
		return
	case errors.Is(err, herald.ErrConflict):
		d.message(w, http.StatusConflict, "Already reviewed", "This post is no longer held: someone else decided on it.", "")
		return
	case err != nil:
		d.s.logger.Error("review: decide on a held post", "job", id, "error", err)
		d.message(w, http.StatusInternalServerError, "Error", "The decision could not be recorded.", "")
		return
	}
	if done == "approved-" && d.s.opts.Webhook.OnNew != nil {
		d.s.opts.Webhook.OnNew() // the dispatcher takes it now
	}
	d.s.logger.Info("review: held post decided", "job", id, "decision", strings.TrimSuffix(done, "-"))
	http.Redirect(w, r, "/review?done="+done+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
