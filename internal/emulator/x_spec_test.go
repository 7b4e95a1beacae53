package emulator

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestXDeclaredParamsMatchSpec checks the emulation's parameter tables
// against the vendored X API v2 OpenAPI excerpt: every query parameter an
// operation declares in either revision is declared, nothing else is, and
// the fields parameters allow exactly their revision's values.
func TestXDeclaredParamsMatchSpec(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/x-api-v2/openapi-excerpt.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Revisions map[string]struct {
			Paths map[string]map[string]struct {
				Parameters []struct {
					Name   string `json:"name"`
					In     string `json:"in"`
					Schema struct {
						Items struct {
							Enum []string `json:"enum"`
						} `json:"items"`
					} `json:"schema"`
				} `json:"parameters"`
			} `json:"paths"`
		} `json:"revisions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Revisions["2.167"]; !ok {
		t.Fatalf("excerpt lacks revision 2.167: %v", doc.Revisions)
	}
	specNames := map[string][]string{}
	for rev, r := range doc.Revisions {
		for path, ops := range r.Paths {
			for method, op := range ops {
				route := strings.ToUpper(method) + " " + path
				_, enums := xDeclaredQuery(route)
				for _, p := range op.Parameters {
					if p.In != "query" {
						continue
					}
					if !slices.Contains(specNames[route], p.Name) {
						specNames[route] = append(specNames[route], p.Name)
					}
					if want := p.Schema.Items.Enum; (p.Name == "tweet.fields" || p.Name == "post.fields" || p.Name == "exclude") && !slices.Equal(enums[p.Name], want) {
						t.Errorf("%s %s %s: values %v, spec %v", rev, route, p.Name, enums[p.Name], want)
					}
				}
			}
		}
	}
	var bodies struct {
		Revisions map[string]struct {
			Paths map[string]map[string]struct {
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							Properties map[string]any `json:"properties"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"paths"`
		} `json:"revisions"`
	}
	if err := json.Unmarshal(raw, &bodies); err != nil {
		t.Fatal(err)
	}
	var props []string
	for _, r := range bodies.Revisions {
		for k := range r.Paths["/2/tweets"]["post"].RequestBody.Content["application/json"].Schema.Properties {
			if !slices.Contains(props, k) {
				props = append(props, k)
			}
		}
	}
	slices.Sort(props)
	if !slices.Equal(props, xCreatePostProperties) {
		t.Errorf("POST /2/tweets properties: emulation %v, spec %v", xCreatePostProperties, props)
	}
	for route := range doc.Revisions["2.167"].Paths {
		for method := range doc.Revisions["2.167"].Paths[route] {
			r := strings.ToUpper(method) + " " + route
			got, _ := xDeclaredQuery(r)
			want := specNames[r]
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: emulation declares %v, spec revisions %v", r, got, want)
			}
		}
	}
}

// TestXRejectsUndeclaredQuery: X answers 400 with its invalid-request problem
// for a query parameter the operation does not declare or a field it does
// not know.
func TestXRejectsUndeclaredQuery(t *testing.T) {
	_, base, _ := startXTest(t, XOptions{})
	c := xSigned(xAlice, xAlice.ConsumerSecret)
	for _, tc := range []struct{ path, param string }{
		{"/2/tweets?ids=1&tweets.fields=public_metrics", "tweets.fields"},
		{"/2/tweets?ids=1&tweet.fields=public_metrics,likes", "tweet.fields"},
		{"/2/tweets?ids=1&post.fields=edit_history_tweet_ids", "post.fields"},
		{"/2/users/1/tweets?count=5", "count"},
		{"/2/users/1001/tweets?exclude=retweets,quotes", "exclude"},
		{"/2/users/me?include_email=true", "include_email"},
	} {
		a := xDo(t, c, "GET", base+tc.path, nil)
		status, body := a.status, a.body
		errs, _ := body["errors"].([]any)
		if status != http.StatusBadRequest || body["type"] != xProblemBase+"invalid-request" || len(errs) != 1 {
			t.Errorf("%s: %d %v", tc.path, status, body)
			continue
		}
		params, _ := errs[0].(map[string]any)["parameters"].(map[string]any)
		if _, ok := params[tc.param]; !ok {
			t.Errorf("%s: problem names %v, want %s", tc.path, params, tc.param)
		}
	}
	for _, ok := range []string{"/2/tweets?ids=1&tweet.fields=public_metrics", "/2/tweets?ids=1&post.fields=public_metrics"} {
		if a := xDo(t, c, "GET", base+ok, nil); a.status != http.StatusOK {
			t.Errorf("%s: %d %v", ok, a.status, a.raw)
		}
	}
}
