package compose

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/herald"
)

// benchArticles is a newsroom's mix: most headlines fit, some need hashtags
// dropped or the title shortened.
var benchArticles = []herald.Article{
	{URL: storyURL, Title: "Sismo de magnitud 5.2 sacude Oaxaca; no hay daños", Categories: []string{"méxico", "sismos"}},
	{URL: "https://www.example.com/politica/2026/05/reforma.html?ref=rss", Title: "Peña Nieto &amp; Videgaray: &quot;no hay crisis&quot;",
		Categories: []string{"política"}},
	{URL: storyURL, Title: "Fed holds rates steady as inflation cools; markets rally on Amazon.com earnings",
		Categories: []string{"world news", "economy", "markets"}},
	{URL: storyURL, Title: "東京都知事選挙の結果が発表されました。投票率は前回を上回りました", Categories: []string{"日本"}},
	{URL: storyURL, Title: "Orgullo 2026 🏳️‍🌈: miles marchan en la Ciudad de México 👨‍👩‍👧‍👦", Categories: []string{"sociedad"}},
	{URL: storyURL, Title: strings.Repeat("La Secretaría de Hacienda anuncia recortes al gasto público ", 5),
		Categories: []string{"economía"}},
	{URL: storyURL, Title: "Selección Mexicana convoca a 26 jugadores para el Mundial", Categories: []string{"deportes", "fútbol"}},
	{URL: storyURL, Title: "Breaking: Senate passes budget bill after overnight session"},
}

// BenchmarkCompose composes X posts (template, UTM, two hashtags, title
// shortened where needed); posts/s is per core with -cpu 1.
func BenchmarkCompose(b *testing.B) {
	c := mustNew(b, Options{Network: herald.Twitter, Hashtags: 2,
		UTM: UTM{Source: "twitter", Medium: "social", Campaign: "herald"}})
	b.ReportAllocs()
	start := cputime.Used()
	i := 0
	for b.Loop() {
		if _, err := c.Compose(benchArticles[i%len(benchArticles)], ComposeJob{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportPosts(b, start)
}

// BenchmarkComposeFits is the common case: the post fits as written.
func BenchmarkComposeFits(b *testing.B) {
	benchComposeOne(b, Options{Network: herald.Twitter, Hashtags: 2,
		UTM: UTM{Source: "twitter", Medium: "social", Campaign: "herald"}}, benchArticles[0])
}

// BenchmarkComposeShortened: every post needs its title shortened.
func BenchmarkComposeShortened(b *testing.B) {
	benchComposeOne(b, Options{Network: herald.Twitter}, benchArticles[5])
}

// benchComposeOne composes a, again and again, with a composer of opts.
func benchComposeOne(b *testing.B, opts Options, a herald.Article) {
	c := mustNew(b, opts)
	b.ReportAllocs()
	start := cputime.Used()
	for b.Loop() {
		if _, err := c.Compose(a, ComposeJob{}); err != nil {
			b.Fatal(err)
		}
	}
	reportPosts(b, start)
}

func BenchmarkWeightedLength(b *testing.B) {
	texts := []string{
		"Sismo de magnitud 5.2 sacude Oaxaca; no hay daños " + storyURL + " #México #Sismos",
		"Fed holds rates steady as inflation cools; markets rally on Amazon.com earnings " + storyURL,
		"東京都知事選挙の結果が発表されました。投票率は前回を上回りました " + storyURL,
		"Orgullo 2026 🏳️‍🌈: miles marchan en la Ciudad de México 👨‍👩‍👧‍👦 " + storyURL,
	}
	b.ReportAllocs()
	start := cputime.Used()
	i := 0
	for b.Loop() {
		WeightedLength(texts[i%len(texts)])
		i++
	}
	if cpu := cputime.Used() - start; start > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// reportPosts adds posts per second of wall time and, where measured, CPU
// time per post and posts per CPU-second (with -cpu 1: per core).
func reportPosts(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	if cpu := cputime.Used() - cpuStart; cpuStart > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "posts/cpu-s")
	}
}
