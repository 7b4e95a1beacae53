package config

import (
	"maps"
	"reflect"
	"slices"

	"github.com/heraldhq/herald/internal/herald"
)

// Masked replaces every secret Redacted hides.
const Masked = herald.Masked

// Redacted returns a deep copy of c with every secret (the fields tagged
// secret:"true", and in database.url and the sources' URLs what
// herald.RedactURL hides) replaced by "***". An empty secret stays empty, so
// the output still shows what is missing.
func (c *Config) Redacted() *Config {
	r := *c
	r.Database.URL = herald.RedactURL(c.Database.URL)
	maskSecrets(reflect.ValueOf(&r.HTTP).Elem())
	maskSecrets(reflect.ValueOf(&r.Secrets).Elem())
	r.HTTP.WebhookTargets = slices.Clone(c.HTTP.WebhookTargets)
	r.Publish.BreakingCategories = slices.Clone(c.Publish.BreakingCategories)
	r.Evergreen.ExcludeSections = slices.Clone(c.Evergreen.ExcludeSections)
	r.Sources = slices.Clone(c.Sources)
	for i := range r.Sources {
		r.Sources[i].URL = herald.RedactURL(c.Sources[i].URL)
		r.Sources[i].Targets = slices.Clone(c.Sources[i].Targets)
		r.Sources[i].TargetFilters = maps.Clone(c.Sources[i].TargetFilters)
	}
	r.Notify.Webhooks = slices.Clone(c.Notify.Webhooks)
	for i := range r.Notify.Webhooks {
		maskSecrets(reflect.ValueOf(&r.Notify.Webhooks[i]).Elem())
	}
	r.Accounts = maps.Clone(c.Accounts)
	for id, a := range r.Accounts {
		maskSecrets(reflect.ValueOf(&a).Elem())
		r.Accounts[id] = a
	}
	return &r
}

// maskSecrets masks the non-empty secret strings of struct v, recursively.
func maskSecrets(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			maskSecrets(fv)
		case f.Tag.Get("secret") == "true" && f.Type.Kind() == reflect.String && fv.String() != "":
			fv.SetString(Masked)
		}
	}
}
