package config

import (
	"slices"
	"strings"
)

// iso6391 are the ISO 639-1 two-letter language codes, the form Mastodon's
// statuses API takes for language.
var iso6391 = strings.Fields(`aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch
	co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
	ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
	la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
	or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te
	tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu`)

// validateMastodonLanguage checks a Mastodon account's language: an ISO
// 639-1 code ("es", not "es-MX" or "spa"). Bluesky's langs take BCP 47 tags
// and are not checked here.
func validateMastodonLanguage(ch *checker, key, lang string) {
	if lang == "" || slices.Contains(iso6391, lang) {
		return
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(lang, "_", "-"), "-")
	if base = strings.ToLower(base); base != lang && slices.Contains(iso6391, base) {
		ch.add(key, "must be an ISO 639-1 language code such as %q (got %q): Mastodon takes the language without a region", base, lang)
		return
	}
	ch.add(key, "must be an ISO 639-1 language code such as \"en\" or \"es\" (got %q)", lang)
}
