package bluesky

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestDetectFacetsReference runs the reference RichText's own link and tag
// cases (testdata/bluesky-richtext) through detectFacets.
func TestDetectFacetsReference(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/bluesky-richtext/detection.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Links []struct {
			Text   string `json:"text"`
			Facets []struct {
				Text string `json:"text"`
				URI  string `json:"uri"`
			} `json:"facets"`
		} `json:"links"`
		Tags []struct {
			Text   string   `json:"text"`
			Tags   []string `json:"tags"`
			Ranges [][2]int `json:"ranges"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Links) < 30 || len(doc.Tags) < 39 {
		t.Fatalf("only %d link and %d tag cases", len(doc.Links), len(doc.Tags))
	}
	for _, tc := range doc.Links {
		var got [][2]string
		for _, f := range linkFacets(tc.Text) {
			got = append(got, [2]string{tc.Text[f.Index.ByteStart:f.Index.ByteEnd], f.Features[0].URI})
		}
		var want [][2]string
		for _, f := range tc.Facets {
			want = append(want, [2]string{f.Text, f.URI})
		}
		if !slices.Equal(got, want) {
			t.Errorf("links in %q = %q, want %q", tc.Text, got, want)
		}
	}
	for _, tc := range doc.Tags {
		var tags []string
		var ranges [][2]int
		for _, f := range tagFacets(tc.Text) {
			tags = append(tags, f.Features[0].Tag)
			ranges = append(ranges, [2]int{f.Index.ByteStart, f.Index.ByteEnd})
		}
		if !slices.Equal(tags, tc.Tags) || !slices.Equal(ranges, tc.Ranges) {
			t.Errorf("tags in %q = %q %v, want %q %v", tc.Text, tags, ranges, tc.Tags, tc.Ranges)
		}
	}
}

// TestDetectFacetsParenthesisAndTags: a link ending in a parenthesis that
// it opened keeps it, and hashtags and cashtags become tag facets, in the
// reference's order (links, tags, cashtags).
func TestDetectFacetsParenthesisAndTags(t *testing.T) {
	text := "Mercury https://en.wikipedia.org/wiki/Mercury_(planet) #space ($NASA) é #Ciência."
	fs := detectFacets(text)
	type got struct{ text, typ, val string }
	var all []got
	for _, f := range fs {
		all = append(all, got{text[f.Index.ByteStart:f.Index.ByteEnd], f.Features[0].Type, f.Features[0].URI + f.Features[0].Tag})
	}
	want := []got{
		{"https://en.wikipedia.org/wiki/Mercury_(planet)", "app.bsky.richtext.facet#link", "https://en.wikipedia.org/wiki/Mercury_(planet)"},
		{"#space", "app.bsky.richtext.facet#tag", "space"},
		{"#Ciência", "app.bsky.richtext.facet#tag", "Ciência"},
		{"$NASA", "app.bsky.richtext.facet#tag", "$NASA"},
	}
	if !slices.Equal(all, want) {
		t.Errorf("facets = %q\nwant      %q", all, want)
	}
}
