package emulator

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/internal/compose"
)

// TestXWeightedLengthConformance runs the emulation's own count through
// twitter-text's v3 conformance suites (testdata/twitter-text, Apache 2.0,
// see its LICENSE and SOURCE.md).
func TestXWeightedLengthConformance(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/twitter-text/validate.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests map[string][]struct {
			Description string `yaml:"description"`
			Text        string `yaml:"text"`
			Expected    any    `yaml:"expected"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, suite := range []string{"WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest"} {
		cases := doc.Tests[suite]
		if len(cases) == 0 {
			t.Fatalf("no %s cases", suite)
		}
		for _, c := range cases {
			exp, _ := c.Expected.(map[string]any)
			want, _ := exp["weightedLength"].(int)
			if got := xWeightedLength(c.Text); got != want {
				t.Errorf("%s: %s: %d, want %d (%.50q)", suite, c.Description, got, want, c.Text)
			}
		}
	}
	for _, tc := range []struct {
		text string
		want int
	}{
		{"Mercury https://en.wikipedia.org/wiki/Mercury_(planet)", 8 + 23},
		{"see example.com/a.", 4 + 23 + 1},
		{"mail a@example.com", 18},
		{"not.a.url here", 14},
		{"(https://news.example.com/a)", 1 + 23 + 1},
	} {
		if got := xWeightedLength(tc.text); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.text, got, tc.want)
		}
	}
}

// TestXWeightedLengthAgreesWithCompose: the emulation's count and the
// composer's, written apart, agree on texts like Herald's posts; where they
// disagree one of them misreads twitter-text.
func TestXWeightedLengthAgreesWithCompose(t *testing.T) {
	for _, text := range []string{
		"Storm hits the coast https://news.example.com/storm?utm_source=x&utm_medium=social",
		"Tormenta en la costa: ¿qué pasó? https://www.example.com.mx/nota/123 #Clima",
		"東京で地震 https://example.jp/a 👩‍👩‍👧 #ニュース",
		"ICYMI: Mercury https://en.wikipedia.org/wiki/Mercury_(planet) (and more).",
		"Read example.com/path, then www.example.org!",
		strings.Repeat("palabra ", 40) + "https://example.com/x",
	} {
		if got, want := xWeightedLength(text), compose.WeightedLength(text); got != want {
			t.Errorf("%q: emulation %d, compose %d", text, got, want)
		}
	}
}
