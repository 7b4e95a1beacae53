package herald

import (
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestSameLink(t *testing.T) {
	same := func(p [2]string) bool { return SameLink(p[0], p[1]) }
	testkit.Table(t, "SameLink", same, map[[2]string]bool{
		{"https://news.example.com/a", "https://news.example.com/a"}:     true,
		{"HTTPS://News.Example.com/a/", "https://news.example.com/a"}:    true,
		{"https://news.example.com/A", "https://news.example.com/a"}:     false,
		{"https://news.example.com/a?x=1", "https://news.example.com/a"}: false,
		{"", ""}:                          false,
		{"", "https://news.example.com/"}: false,
		{"://bad", "://bad/"}:             false,
	})
}
