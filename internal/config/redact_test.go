package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fillSecrets sets every secret string under v to a unique value and
// returns the values.
func fillSecrets(v reflect.Value, prefix string) []string {
	var secrets []string
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			secrets = append(secrets, fillSecrets(fv, prefix+f.Name+".")...)
		case f.Tag.Get("secret") == "true":
			s := fmt.Sprintf("SECRET-%s%s-%d", prefix, f.Name, i)
			fv.SetString(s)
			secrets = append(secrets, s)
		}
	}
	return secrets
}

func TestRedacted(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, "testdata/good.yaml")
	cfg.Database.URL = "postgres://herald:SECRET-db-password@db:5432/herald?sslmode=disable"
	secrets := fillSecrets(reflect.ValueOf(&cfg.HTTP).Elem(), "http.")
	for id, a := range cfg.Accounts {
		secrets = append(secrets, fillSecrets(reflect.ValueOf(&a).Elem(), id+".")...)
		cfg.Accounts[id] = a
	}
	if len(secrets) != 2+3*8 {
		t.Fatalf("%d secrets filled; every secret field must be tagged", len(secrets))
	}
	before, _ := cfg.YAML()

	r := cfg.Redacted()
	out, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	dump := string(out) + fmt.Sprintf("%+v %#v", *r, r.Accounts)
	if strings.Contains(dump, "SECRET") {
		t.Errorf("a secret survived redaction:\n%s", out)
	}
	if !strings.Contains(string(out), "postgres://herald:***@db:5432/herald?sslmode=disable") {
		t.Errorf("database url not redacted as expected:\n%s", out)
	}
	// The original is untouched, and shares nothing with the copy.
	after, _ := cfg.YAML()
	if string(before) != string(after) {
		t.Error("Redacted changed its receiver")
	}
	r.Sources[0].Targets[0] = "changed"
	r.HTTP.WebhookTargets[0] = "changed"
	if cfg.Sources[0].Targets[0] == "changed" || cfg.HTTP.WebhookTargets[0] == "changed" {
		t.Error("Redacted shares slices with its receiver")
	}
}

func TestRedactedKeepsEmptySecretsEmpty(t *testing.T) {
	cfg := Default()
	cfg.Accounts = map[string]Account{"x": DefaultAccount(NetworkTwitter)}
	r := cfg.Redacted()
	if r.Accounts["x"].AccessToken != "" || r.HTTP.AdminToken != "" {
		t.Errorf("empty secret masked: %+v", r.Accounts["x"])
	}
	if r.Database.URL != cfg.Database.URL {
		t.Errorf("sqlite url changed: %q", r.Database.URL)
	}
}

func TestRedactedMasksNotifyWebhooks(t *testing.T) {
	c := Default()
	c.Notify.Webhooks = []Webhook{{URL: "https://hooks.slack.invalid/services/T0/B0/key", Format: "slack"},
		{URL: "https://alerts.invalid/in", Format: "json", Secret: "s3cret"}}
	r := c.Redacted()
	for i, w := range r.Notify.Webhooks {
		if w.URL != Masked || (w.Secret != "" && w.Secret != Masked) {
			t.Errorf("webhook %d not masked: %+v", i, w)
		}
	}
	if c.Notify.Webhooks[0].URL == Masked {
		t.Error("Redacted changed the original")
	}
}

// A webhook URL is a secret (Slack's carries its key): a bad one is
// refused without being repeated.
func TestBadNotifyURLNotEchoed(t *testing.T) {
	c := Default()
	c.Notify.Webhooks = []Webhook{{URL: "ftp://hooks.slack.invalid/services/SECRETKEY", Format: "slack"}}
	err := c.Validate()
	if err == nil || strings.Contains(err.Error(), "SECRETKEY") || !strings.Contains(err.Error(), "notify.webhooks[0].url") {
		t.Errorf("Validate() = %v", err)
	}
}

func TestNotifyWebhookFromEnvironment(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, "sandbox: true\nnotify: {webhooks: [{format: json}]}\n")
	t.Setenv("HERALD_NOTIFY_WEBHOOKS_0_URL", "https://alerts.invalid/in")
	t.Setenv("HERALD_NOTIFY_WEBHOOKS_0_SECRET", "from-env")
	cfg := mustLoad(t, path)
	if w := cfg.Notify.Webhooks; len(w) != 1 || w[0].URL != "https://alerts.invalid/in" || w[0].Secret != "from-env" {
		t.Errorf("webhooks %+v", w)
	}
	t.Setenv("HERALD_NOTIFY_WEBHOOKS_1_URL", "https://alerts.invalid/other")
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "HERALD_NOTIFY_WEBHOOKS_1_URL") {
		t.Errorf("a webhook the file does not define: %v", err)
	}
}
