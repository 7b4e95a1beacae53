package compose

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// twitterText is the project's copy of twitter-text's conformance data.
const twitterText = "../../testdata/twitter-text"

type lengthCase struct {
	Description string `yaml:"description"`
	Text        string `yaml:"text"`
	Expected    struct {
		WeightedLength int  `yaml:"weightedLength"`
		Valid          bool `yaml:"valid"`
	} `yaml:"expected"`
}

func readYAML(t testing.TB, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(twitterText, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func lengthSuites(t testing.TB) map[string][]lengthCase {
	var doc struct {
		Tests map[string]yaml.Node `yaml:"tests"`
	}
	readYAML(t, "validate.yml", &doc)
	suites := make(map[string][]lengthCase)
	for name, node := range doc.Tests {
		if !strings.HasSuffix(name, "CounterTest") {
			continue
		}
		var cases []lengthCase
		if err := node.Decode(&cases); err != nil {
			t.Fatalf("validate.yml %s: %v", name, err)
		}
		suites[name] = cases
	}
	return suites
}

// TestConformance runs twitter-text's weighted-length suites: the v3 suite
// (emoji sequences discounted) and the directional-marker suite with the v3
// configuration, and the older v2 suite with emoji parsing off, as v2.json
// had it.
func TestConformance(t *testing.T) {
	suites := lengthSuites(t)
	v2 := v3
	v2.emojiParsing = false
	configs := map[string]*counter{
		"WeightedTweetsWithDiscountedEmojiCounterTest": &v3,
		"UnicodeDirectionalMarkerCounterTest":          &v3,
		"WeightedTweetsCounterTest":                    &v2,
	}
	for name, c := range configs {
		cases := suites[name]
		if len(cases) == 0 {
			t.Fatalf("validate.yml has no %s cases", name)
		}
		t.Run(name, func(t *testing.T) {
			passed := 0
			for _, tc := range cases {
				got := c.weightedLength(tc.Text)
				if got != tc.Expected.WeightedLength {
					t.Errorf("%s: weighted length %d, want %d (text %.60q)", tc.Description, got, tc.Expected.WeightedLength, tc.Text)
					continue
				}
				if over := got > c.maxWeightedLength; over && tc.Expected.Valid {
					t.Errorf("%s: %d over the limit but valid", tc.Description, got)
					continue
				}
				passed++
			}
			t.Logf("%s: %d/%d cases pass", name, passed, len(cases))
		})
	}
	for name := range suites {
		if configs[name] == nil {
			t.Errorf("validate.yml suite %s is not run", name)
		}
	}
}

// TestV3Config checks the built-in counting rules against v3.json.
func TestV3Config(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(twitterText, "v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		MaxWeightedTweetLength int  `json:"maxWeightedTweetLength"`
		Scale                  int  `json:"scale"`
		DefaultWeight          int  `json:"defaultWeight"`
		EmojiParsingEnabled    bool `json:"emojiParsingEnabled"`
		TransformedURLLength   int  `json:"transformedURLLength"`
		Ranges                 []struct {
			Start, End rune
			Weight     int
		} `json:"ranges"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	want := counter{
		maxWeightedLength: cfg.MaxWeightedTweetLength,
		scale:             cfg.Scale,
		defaultWeight:     cfg.DefaultWeight,
		transformedURL:    cfg.TransformedURLLength,
		emojiParsing:      cfg.EmojiParsingEnabled,
	}
	for _, r := range cfg.Ranges {
		want.ranges = append(want.ranges, weightRange{r.Start, r.End, r.Weight})
	}
	if !reflect.DeepEqual(v3, want) {
		t.Errorf("built-in config %+v, v3.json says %+v", v3, want)
	}
}

func extractURLs(s string, withoutProtocol bool) []string {
	var u urlScanner
	u.init(s, withoutProtocol)
	var out []string
	for span, ok := u.next(); ok; span, ok = u.next() {
		out = append(out, s[span.start:span.end])
	}
	return out
}

// TestTLDs extracts every case of tlds.yml: each TLD twitter-text knows,
// behind a scheme.
func TestTLDs(t *testing.T) {
	var doc struct {
		Tests map[string][]struct {
			Description string   `yaml:"description"`
			Text        string   `yaml:"text"`
			Expected    []string `yaml:"expected"`
		} `yaml:"tests"`
	}
	readYAML(t, "tlds.yml", &doc)
	n := 0
	for kind, cases := range doc.Tests {
		for _, tc := range cases {
			if got := extractURLs(tc.Text, true); !reflect.DeepEqual(got, tc.Expected) {
				t.Errorf("%s %s: got %q, want %q", kind, tc.Description, got, tc.Expected)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d TLD cases read", n)
	}
	t.Logf("tlds.yml: %d cases", n)
}

// TestURLsWithoutProtocol: validate.yml's scheme-less URLs are extracted
// whole.
func TestURLsWithoutProtocol(t *testing.T) {
	var doc struct {
		Tests struct {
			Cases []struct {
				Description string `yaml:"description"`
				Text        string `yaml:"text"`
				Expected    bool   `yaml:"expected"`
			} `yaml:"urls_without_protocol"`
		} `yaml:"tests"`
	}
	readYAML(t, "validate.yml", &doc)
	if len(doc.Tests.Cases) == 0 {
		t.Fatal("no urls_without_protocol cases")
	}
	for _, tc := range doc.Tests.Cases {
		got := extractURLs(tc.Text, true)
		if found := len(got) == 1 && got[0] == tc.Text; found != tc.Expected {
			t.Errorf("%s: extracted %q", tc.Description, got)
		}
	}
}

// TestQuickNFC: every code point quickNFC trusts is NFC on its own, has
// combining class 0 and does not combine with what precedes it.
func TestQuickNFC(t *testing.T) {
	starters := []string{"a", "e", "A", "\u1100", "가", "か", "故"}
	trusted := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		s := string(r)
		if !quickNFC(s) {
			continue
		}
		trusted++
		if !norm.NFC.IsNormalString(s) || norm.NFC.PropertiesString(s).CCC() != 0 {
			t.Fatalf("U+%04X is trusted but not NFC-stable", r)
		}
		for _, p := range starters {
			if !norm.NFC.IsNormalString(p + s) {
				t.Fatalf("U+%04X combines with %q", r, p)
			}
		}
	}
	if trusted < 30000 {
		t.Errorf("only %d code points trusted", trusted)
	}
	if quickNFC("Pen\u0303a") || quickNFC("\u212b") {
		t.Error("decomposed or compatibility text trusted")
	}
}
