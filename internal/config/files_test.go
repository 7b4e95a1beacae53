package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

const (
	shippedConfig = "../../configs/herald.yaml"
	exampleConfig = "../../configs/herald.example.yaml"
)

// TestShippedConfig checks that configs/herald.yaml works on a fresh clone:
// valid without credentials, polling the sample feed into the sandbox.
func TestShippedConfig(t *testing.T) {
	clearEnv(t)
	cfg := mustLoadValid(t, shippedConfig)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths are the configuration file's (configs/), made absolute.
	if !cfg.Sandbox || cfg.Publish.Backfill != 3 || cfg.Database.URL != "sqlite:"+filepath.Join(root, "data/herald.db") {
		t.Errorf("sandbox %v, backfill %d, database %q", cfg.Sandbox, cfg.Publish.Backfill, cfg.Database.URL)
	}
	if len(cfg.Sources) != 1 {
		t.Fatalf("sources = %+v", cfg.Sources)
	}
	s := cfg.Sources[0]
	if s.Name != "sample" || s.URL != "file://"+filepath.Join(root, "testdata/feeds/sample.xml") || s.Interval != 10*time.Second ||
		!slices.Equal(s.Targets, []string{"x_main", "fb_page"}) {
		t.Errorf("source = %+v", s)
	}
	if cfg.Accounts["x_main"].Network != NetworkTwitter || cfg.Accounts["fb_page"].Network != NetworkFacebook {
		t.Errorf("accounts = %+v", cfg.Accounts)
	}
}

// TestExampleConfig checks that the example is valid once its secrets come
// from the environment, and that without them exactly those are asked for.
func TestExampleConfig(t *testing.T) {
	clearEnv(t)
	err := mustLoad(t, exampleConfig).Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate without credentials = %v", err)
	}
	need := []string{
		"accounts.x_main.consumer_key", "accounts.x_main.consumer_secret",
		"accounts.x_main.access_token", "accounts.x_main.access_token_secret",
		"accounts.fb_page.page_id", "accounts.fb_page.page_access_token",
	}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Key)
	}
	slices.Sort(got)
	slices.Sort(need)
	if !slices.Equal(got, need) {
		t.Errorf("problems = %v, want %v", got, need)
	}
	for _, key := range need {
		t.Setenv(EnvPrefix+envName(key), "from-env")
	}
	cfg := mustLoadValid(t, exampleConfig)
	if cfg.Dispatch.InstanceID == "" || cfg.Feed.UserAgent != Default().Feed.UserAgent {
		t.Errorf("example overrides computed defaults: %+v %+v", cfg.Dispatch, cfg.Feed)
	}
}

// TestExampleDocumentsEveryKey checks that every key of Config appears in
// the example (commented out for keys that are coming).
func TestExampleDocumentsEveryKey(t *testing.T) {
	body, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[reflect.Type]bool)
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Map || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == durationType || seen[typ] {
			return
		}
		seen[typ] = true
		for _, f := range fields(typ) {
			re := regexp.MustCompile(`(?m)^[ \t]*(#[ \t]*)?(- )?` + regexp.QuoteMeta(f.key) + `:`)
			if !re.Match(body) {
				t.Errorf("%s does not document %s.%s", exampleConfig, typ.Name(), f.key)
			}
			walk(f.typ)
		}
	}
	walk(configType)
	if len(seen) < 10 {
		t.Errorf("walked only %d structs", len(seen))
	}
}
