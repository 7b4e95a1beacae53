package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

// TestLocalPath: ?next= leads only to a path on this site, whatever a
// browser would make of the rest.
func TestLocalPath(t *testing.T) {
	testkit.Table(t, "localPath", localPath, map[string]string{
		"/":                    "/",
		"/?since=7d":           "/?since=7d",
		"/?since=7d&by=score":  "/?since=7d&by=score",
		"/api/popular?limit=5": "/api/popular?limit=5",
		"/%3Fsince%3D7d":       "/%3Fsince%3D7d",
		"":                     "/",
		"//evil.example":       "/",
		"//evil.example/":      "/",
		"///evil.example":      "/",
		"/\\evil.example":      "/",
		"\\\\evil.example":     "/",
		"/%09/evil.example":    "/",
		"/\t/evil.example":     "/",
		"/%0a/evil.example":    "/",
		"/%0d%0aSet-Cookie:x":  "/",
		"/%00":                 "/",
		"/%7f":                 "/",
		"%2f%2fevil.example":   "/",
		"/%2f/evil.example":    "/",
		"/%2F%2Fevil.example":  "/",
		"/%5cevil.example":     "/",
		"/%5Cevil.example":     "/",
		"/%255c/evil.example":  "/",
		"https:evil.example":   "/",
		"https://evil.example": "/",
		"http:/evil.example":   "/",
		"javascript:alert(1)":  "/",
		"JavaScript:alert(1)":  "/",
		" /ok":                 "/",
		"evil.example":         "/",
		"./x":                  "/",
		"/ok/../..//evil":      "/",
		"/%":                   "/",
		"/\u2028evil":          "/",
	})
}

// TestLoginNextOverHTTP: the login form's redirect is the checked path.
func TestLoginNextOverHTTP(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	for _, next := range []string{"/%09/evil.example", "/%5cevil.example", "%2f%2fevil.example"} {
		resp := f.login(adminToken, next, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("next=%q: %d %q", next, resp.StatusCode, resp.Header.Get("Location"))
		}
		// Already logged in, GET /login redirects at once.
		resp, _ = f.get("/login?next="+url.QueryEscape(next), func(r *http.Request) { r.AddCookie(sessionOf(resp)) })
		if resp.Header.Get("Location") != "/" {
			t.Errorf("GET /login?next=%q: %q", next, resp.Header.Get("Location"))
		}
	}
}
