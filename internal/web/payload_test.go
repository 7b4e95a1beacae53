package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestParseWebhookPayloadFieldErrors(t *testing.T) {
	long := strings.Repeat("a", maxTitleLen+1)
	tests := []struct {
		name, body, field, msg string
	}{
		{"empty body", ``, "", "empty body"},
		{"not JSON", `{"url":`, "", "invalid JSON"},
		{"two objects", `{"url":"https://a.example/1","title":"t"}{}`, "", "unexpected data"},
		{"scalar", `"hello"`, "", "expected a JSON object or array"},
		{"empty array", `[]`, "", "empty array"},
		{"array of scalars", `[1]`, "[0]", "expected an article object"},
		{"trailing data", `[{"url":"https://a.example/x","title":"t"}] }`, "", "unexpected data"},
		{"missing url", `{"title":"t"}`, "url", "required"},
		{"missing title in second", `[{"url":"https://a.example/1","title":"t"},{"url":"https://a.example/2"}]`, "[1].title", "required"},
		{"blank title", `{"url":"https://a.example/1","title":"   "}`, "title", "required"},
		{"url not a string", `{"url":42,"title":"t"}`, "url", "must be a string"},
		{"url not http", `{"url":"ftp://a.example/x","title":"t"}`, "url", "http or https"},
		{"url relative", `[{"url":"/news/1","title":"t"}]`, "[0].url", "http or https"},
		{"url no host", `{"url":"https:///x","title":"t"}`, "url", "host"},
		{"title too long", `{"url":"https://a.example/1","title":"` + long + `"}`, "title", "too long"},
		{"image not a URL", `{"url":"https://a.example/1","title":"t","image":"javascript:alert(1)"}`, "image", "http or https"},
		{"bad published_at text", `{"url":"https://a.example/1","title":"t","published_at":"yesterday"}`, "published_at", "RFC 3339"},
		{"bad published_at type", `{"url":"https://a.example/1","title":"t","published_at":true}`, "published_at", "unix seconds"},
		{"negative published_at", `{"url":"https://a.example/1","title":"t","published_at":-5}`, "published_at", "out of range"},
		{"huge published_at", `{"url":"https://a.example/1","title":"t","published_at":1e300}`, "published_at", "out of range"},
		{"categories not array", `{"url":"https://a.example/1","title":"t","categories":"news"}`, "categories", "array of strings"},
		{"category not string", `[{"url":"https://a.example/1","title":"t"},{"url":"https://a.example/2","title":"t","categories":["a",3]}]`, "[1].categories[1]", "must be a string"},
		{"targets not strings", `{"url":"https://a.example/1","title":"t","targets":[null]}`, "targets[0]", "must be a string"},
		{"bad priority", `{"url":"https://a.example/1","title":"t","priority":"urgent"}`, "priority", `"breaking" or "normal"`},
		{"unknown field", `[{"url":"https://a.example/1","title":"t","titel":"x","zeta":1}]`, "[0].titel", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWebhookPayload([]byte(tt.body))
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *fieldError", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("got field %q msg %q, want field %q msg containing %q", fe.Field, fe.Msg, tt.field, tt.msg)
			}
		})
	}
}

func TestParseWebhookPayloadTooManyItems(t *testing.T) {
	body := "[" + strings.TrimSuffix(strings.Repeat(`{"url":"https://a.example/1","title":"t"},`, maxItems+1), ",") + "]"
	_, err := parseWebhookPayload([]byte(body))
	if err == nil || !strings.Contains(err.Error(), "too many articles") {
		t.Fatalf("err = %v, want too many articles", err)
	}
}

func TestParseWebhookPayloadValues(t *testing.T) {
	body := `[
	  {"url":"https://a.example/1","title":"One","summary":"S","author":"A","section":"mexico",
	   "categories":["Politics","World"],"image":"https://img.example/1.jpg",
	   "published_at":"2026-03-01T10:00:00-06:00","updated_at":"2026-03-01T10:05:30.250-06:00",
	   "targets":["x_main"],"priority":"breaking"},
	  {"url":"https://a.example/2","title":"Two","published_at":1772380800,"targets":[],"summary":null,"updated_at":null},
	  {"url":"https://a.example/3","title":"Three","published_at":1772380800.5}
	]`
	items, err := parseWebhookPayload([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("got %d items, want 3", len(items))
	}
	a := items[0]
	wantPub := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	if a.URL != "https://a.example/1" || a.Title != "One" || a.Summary != "S" || a.Author != "A" ||
		a.Section != "mexico" || len(a.Categories) != 2 || a.Image != "https://img.example/1.jpg" ||
		!a.PublishedAt.Equal(wantPub) || !a.UpdatedAt.Equal(wantPub.Add(5*time.Minute+30250*time.Millisecond)) ||
		!a.TargetsSet || len(a.Targets) != 1 || a.Priority != "breaking" || a.Prefix != "[0]." {
		t.Errorf("item 0 = %+v", a)
	}
	b := items[1]
	if !b.PublishedAt.Equal(time.Unix(1772380800, 0)) || !b.UpdatedAt.IsZero() || !b.TargetsSet || len(b.Targets) != 0 || b.Summary != "" {
		t.Errorf("item 1 = %+v", b)
	}
	if c := items[2]; !c.PublishedAt.Equal(time.Unix(1772380800, 5e8)) || c.TargetsSet {
		t.Errorf("item 2 = %+v", c)
	}
	one, err := parseWebhookPayload([]byte(` {"url":"https://a.example/1","title":"One"} `))
	if err != nil || len(one) != 1 || one[0].Prefix != "" {
		t.Fatalf("single object: %+v, %v", one, err)
	}
}

func TestIsJSONType(t *testing.T) {
	testkit.Table(t, "isJSONType", isJSONType, map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON":                  true,
		"application/vnd.herald+json":       true,
		"":                                  false,
		"text/plain":                        false,
		"application/x-www-form-urlencoded": false,
		"application/jsonx":                 false,
		"text/json+json":                    false,
	})
}

func TestValidSignature(t *testing.T) {
	body := []byte(`{"url":"https://a.example/1","title":"t"}`)
	good := Sign("s3cret", "1772380800", body)
	tests := []struct {
		name, secret, ts, header string
		body                     []byte
		want                     bool
	}{
		{"good", "s3cret", "1772380800", good, body, true},
		{"wrong secret", "other", "1772380800", good, body, false},
		{"other timestamp", "s3cret", "1772380801", good, body, false},
		{"tampered body", "s3cret", "1772380800", good, append([]byte{' '}, body...), false},
		{"truncated", "s3cret", "1772380800", good[:len(good)-2], body, false},
		{"odd hex", "s3cret", "1772380800", good[:len(good)-1], body, false},
		{"no prefix", "s3cret", "1772380800", strings.TrimPrefix(good, "sha256="), body, false},
		{"sha1 prefix", "s3cret", "1772380800", "sha1=" + strings.TrimPrefix(good, "sha256="), body, false},
		{"upper-case prefix", "s3cret", "1772380800", "SHA256=" + strings.TrimPrefix(good, "sha256="), body, false},
		{"upper-case hex", "s3cret", "1772380800", "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body, true},
		{"body only MAC", "s3cret", "1772380800", "sha256=" + bodyOnlyMAC("s3cret", body), body, false},
		{"empty", "s3cret", "1772380800", "", body, false},
	}
	for _, tt := range tests {
		if got := validSignature(tt.secret, tt.ts, tt.body, tt.header); got != tt.want {
			t.Errorf("%s: validSignature = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func bodyOnlyMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
