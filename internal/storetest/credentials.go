package storetest

import (
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

var credentialTests = []test{
	{"SaveLoadDelete", func(t *testing.T, f *fixture) {
		v, err := f.CredentialsVersion(f.ctx, mOne)
		f.must(err)
		equal(t, "version before any", v, int64(0))
		_, err = f.LoadCredentials(f.ctx, mOne)
		errIs(t, "LoadCredentials(none)", err, herald.ErrNotFound)

		c := herald.Credentials{Account: mOne, Network: herald.Mastodon, Method: "oauth",
			Secrets: map[string]string{"access_token": "tok-1", "client_secret": "cs"},
			Public:  map[string]string{"client_id": "cid", "instance_url": "https://m.example"},
			Expiry:  t0.Add(60 * 24 * 3600e9)}
		v1, err := f.SaveCredentials(f.ctx, c)
		f.must(err)
		got, err := f.LoadCredentials(f.ctx, mOne)
		f.must(err)
		equal(t, "network", got.Network, herald.Mastodon)
		equal(t, "method", got.Method, "oauth")
		equal(t, "secret", got.Secrets["access_token"], "tok-1")
		equal(t, "public", got.Public["instance_url"], "https://m.example")
		sameTime(t, "expiry", got.Expiry, c.Expiry)
		equal(t, "version", got.Version, v1)
		if got.UpdatedAt.IsZero() {
			t.Error("updated_at not set")
		}

		// A new save gets a higher version, which CredentialsVersion reports.
		c.Secrets = map[string]string{"access_token": "tok-2"}
		v2, err := f.SaveCredentials(f.ctx, c)
		f.must(err)
		if v2 <= v1 {
			t.Errorf("version after a second save = %d, want > %d", v2, v1)
		}
		v, err = f.CredentialsVersion(f.ctx, mOne)
		f.must(err)
		equal(t, "CredentialsVersion", v, v2)
		got, err = f.LoadCredentials(f.ctx, mOne)
		f.must(err)
		equal(t, "replaced secret", got.Secrets["access_token"], "tok-2")
		equal(t, "dropped secret", got.Secrets["client_secret"], "")

		// Deleting forgets them and the account's OAuth 2.0 token.
		f.must(f.SaveToken(f.ctx, mOne, herald.Token{AccessToken: "a", RefreshToken: "r"}))
		f.must(f.DeleteCredentials(f.ctx, mOne))
		_, err = f.LoadCredentials(f.ctx, mOne)
		errIs(t, "LoadCredentials(deleted)", err, herald.ErrNotFound)
		_, err = f.LoadToken(f.ctx, mOne)
		errIs(t, "LoadToken(deleted)", err, herald.ErrNotFound)
		errIs(t, "DeleteCredentials(again)", f.DeleteCredentials(f.ctx, mOne), herald.ErrNotFound)
		vd, err := f.CredentialsVersion(f.ctx, mOne)
		f.must(err)
		if vd <= v2 {
			t.Errorf("version after delete = %d, want > %d", vd, v2)
		}
		v3, err := f.SaveCredentials(f.ctx, c)
		f.must(err)
		if v3 <= vd {
			t.Errorf("version after delete and save = %d, want > %d", v3, vd)
		}
	}},
}
