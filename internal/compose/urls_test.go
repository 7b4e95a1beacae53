package compose

import (
	"reflect"
	"strings"
	"testing"
)

func TestExtractURLs(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 5000)
	tests := []struct {
		text string
		want []string
	}{
		{"Amazon.com beats forecasts", []string{"Amazon.com"}},
		{"Sales at amazon.co.uk and Yahoo.co.jp rise", []string{"amazon.co.uk", "Yahoo.co.jp"}},
		{"Read https://www.example.com/a/b?c=d&e=f#top now", []string{"https://www.example.com/a/b?c=d&e=f#top"}},
		{"U.S. and U.K. talks, e.g. on trade", nil},
		{"Node.js 22 released; Go.dev updated", []string{"Go.dev"}},
		{"Version 3.5 is 12.5% faster", nil},
		{"user@example.com wrote", nil},
		{"#example.com and $example.com", nil},
		{"a.example.com.", []string{"a.example.com"}},
		{"example.com/path.", []string{"example.com/path"}},
		{"(see http://en.wikipedia.org/wiki/Primer_(film))", []string{"http://en.wikipedia.org/wiki/Primer_(film)"}},
		{"http://example.com:8080/x", []string{"http://example.com:8080/x"}},
		{"http://example.com:/x", []string{"http://example.com"}},
		{"http://test_underscore.twitter.com", []string{"http://test_underscore.twitter.com"}},
		{"http://☃.net/", []string{"http://☃.net/"}},
		{"☃.net", nil}, // Unicode hosts need a scheme
		{"-example.com _example.com /example.com .example.com", nil},
		{"https://t.co/abc123/more", []string{"https://t.co/abc123"}},
		{"https://t.co/" + strings.Repeat("a", 41), nil},
		{"http://127.0.0.1:8080/story", nil}, // no TLD: X counts it as text
		{"http://localhost/story", nil},
		{long, nil}, // over 4,096 characters
		{"example.comfoo example.com-x", nil},
		{"EXAMPLE.COM", []string{"EXAMPLE.COM"}},
		{"https://example.com?q=1.", []string{"https://example.com?q=1"}},
		{"https://example.com?.", []string{"https://example.com"}},
		{"xn--80ak6aa92e.com and foo.xn--p1ai", []string{"xn--80ak6aa92e.com", "foo.xn--p1ai"}},
		{"http://a-b.example.com/ü", []string{"http://a-b.example.com/ü"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := extractURLs(tt.text, true); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("extract(%.80q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestExtractURLsWithProtocolOnly(t *testing.T) {
	got := extractURLs("Amazon.com and https://example.com/x", false)
	if want := []string{"https://example.com/x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWeightedLength(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"hello", 5},
		{"Amazon.com beats forecasts", 23 + 16},
		{"Peña Nieto", 10},
		{"Pen\u0303a", 4}, // NFC first: ñ is one code point
		{"東京", 4},
		{"1\ufe0f\u20e3", 2}, // keycap with VS16
		{"🇲🇽", 2},            // flag
		{"🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2}, // Scotland
		{"©", 1},       // text presentation
		{"©\ufe0f", 2}, // emoji presentation
		{"‼\ufe0f", 2},
		{"☺\ufe0e", 4},   // text selector: two code points of weight 2
		{"👩🏽\u200d🚀", 2}, // modifier + ZWJ
		{"❤\ufe0f\u200d🔥", 2},
		{"a\u200d", 2},  // ZWJ alone weighs 1
		{"😷\u0301", 3},  // a mark after an emoji is counted apart
		{"\xff\xfe", 4}, // invalid UTF-8: each byte a replacement character
		{"a-" + strings.Repeat("a-", 2000), 4002},
	}
	for _, tt := range tests {
		if got := WeightedLength(tt.text); got != tt.want {
			t.Errorf("WeightedLength(%.40q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
