package herald

import "testing"

func TestSameLink(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://news.example.com/a", "https://news.example.com/a", true},
		{"HTTPS://News.Example.com/a/", "https://news.example.com/a", true},
		{"https://news.example.com/A", "https://news.example.com/a", false},
		{"https://news.example.com/a?x=1", "https://news.example.com/a", false},
		{"", "", false},
		{"", "https://news.example.com/", false},
		{"://bad", "://bad/", false},
	} {
		if got := SameLink(tc.a, tc.b); got != tc.want {
			t.Errorf("SameLink(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
