package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// holdStories records held posts for x_main: a normal story published
// two hours ago, a breaking one an hour ago, and one three hours ago; it
// returns their job IDs in that order.
func holdStories(f *dashFixture) []int64 {
	f.t.Helper()
	src, err := f.store.GetSource(f.ctx, "mexico")
	if err != nil {
		f.t.Fatal(err)
	}
	now := f.clock.Now()
	var items []herald.ArticleInput
	for i, age := range []time.Duration{2 * time.Hour, time.Hour, 3 * time.Hour} {
		it := herald.ArticleInput{URL: "https://news.example/held/" + strconv.Itoa(i), Title: "Held story " + strconv.Itoa(i),
			PublishedAt: now.Add(-age), Announce: true, Targets: []string{"x_main"}, Hold: map[string]bool{"x_main": true}}
		if i == 1 {
			it.Priority = herald.PriorityBreaking
		}
		items = append(items, it)
	}
	rs, err := f.store.SaveArticles(f.ctx, src.ID, items, now)
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.Jobs[0])
	}
	return ids
}

var reviewCSRF = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// reviewForm reads the review page's token (with edit's credentials) and
// returns it with the page and an edit that sends edit's credentials and
// the browser's form cookie, as the browser that read the page would.
func (f *dashFixture) reviewForm(edit func(*http.Request)) (string, string, func(*http.Request)) {
	f.t.Helper()
	resp, body := f.get("/review", edit)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET /review: %d", resp.StatusCode)
	}
	m := reviewCSRF.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no token on the review page:\n%s", body)
	}
	cookies := resp.Cookies()
	return m[1], body, func(r *http.Request) {
		edit(r)
		for _, c := range cookies {
			r.AddCookie(c)
		}
	}
}

func (f *dashFixture) postForm(path string, form url.Values, edit func(*http.Request)) *http.Response {
	f.t.Helper()
	resp, _ := f.do(http.MethodPost, path, strings.NewReader(form.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if edit != nil {
			edit(r)
		}
	})
	return resp
}

func TestReviewPageApprovesAndRejects(t *testing.T) {
	f := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.AdminToken = adminToken })
	ids := holdStories(f)
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }

	if resp, _ := f.get("/review", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /review without credentials: %d, want a redirect to the login", resp.StatusCode)
	}
	token, body, browser := f.reviewForm(bearer)
	// In queue order: the breaking one, then by publication.
	first, second, third := strings.Index(body, "Held story 1"), strings.Index(body, "Held story 2"), strings.Index(body, "Held story 0")
	if first < 0 || !(first < second && second < third) {
		t.Errorf("held posts not in queue order (%d, %d, %d)", first, second, third)
	}

	approve := "/review/" + strconv.FormatInt(ids[0], 10) + "/approve"
	for name, tc := range map[string]struct {
		form url.Values
		edit func(*http.Request)
		want int
	}{
		"no credentials": {url.Values{"csrf": {token}}, nil, http.StatusSeeOther},
		"no token":       {url.Values{"text": {"x"}}, browser, http.StatusForbidden},
		"wrong token":    {url.Values{"csrf": {strings.Repeat("0", 64)}}, browser, http.StatusForbidden},
		"no form cookie": {url.Values{"csrf": {token}}, bearer, http.StatusForbidden},
		"other origin": {url.Values{"csrf": {token}}, func(r *http.Request) {
			browser(r)
			r.Header.Set("Origin", "https://evil.example")
		}, http.StatusForbidden},
	} {
		if resp := f.postForm(approve, tc.form, tc.edit); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, tc.want)
		}
		if j, _ := f.store.GetJob(f.ctx, ids[0]); j.State != herald.JobHeld {
			t.Fatalf("%s: the post is %s", name, j.State)
		}
	}

	resp := f.postForm(approve, url.Values{"csrf": {token}, "text": {"Edited on the desk"}}, browser)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/review?done=approved-"+strconv.FormatInt(ids[0], 10) {
		t.Fatalf("approve: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	j, _ := f.store.GetJob(f.ctx, ids[0])
	if j.State != herald.JobPending || j.Text != "Edited on the desk" {
		t.Errorf("approved post: %s %q", j.State, j.Text)
	}
	if resp := f.postForm(approve, url.Values{"csrf": {token}}, browser); resp.StatusCode != http.StatusConflict {
		t.Errorf("approve twice: %d, want 409", resp.StatusCode)
	}
	reject := "/review/" + strconv.FormatInt(ids[1], 10) + "/reject"
	if resp := f.postForm(reject, url.Values{"csrf": {token}}, browser); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("reject: %d", resp.StatusCode)
	}
	if j, _ := f.store.GetJob(f.ctx, ids[1]); j.State != herald.JobSkipped || j.SkipReason != herald.SkipRejected {
		t.Errorf("rejected post: %s %q", j.State, j.SkipReason)
	}
	if _, body := f.get("/review?done=rejected-"+strconv.FormatInt(ids[1], 10), bearer); !strings.Contains(body, "rejected: it will not be sent") ||
		strings.Contains(body, "Held story 1") || !strings.Contains(body, "Held story 2") {
		t.Errorf("review page after the decisions:\n%s", body)
	}
}
