package config

import (
	"path/filepath"
	"testing"
)

// TestRelativePathsFollowTheFile checks that relative file:// feeds and
// sqlite: paths are the configuration file's, whatever the working
// directory, and that absolute ones and other URLs are left alone.
func TestRelativePathsFollowTheFile(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
database: {url: "sqlite:data/h.db"}
sources:
  - {name: a, url: "file://feeds/a.xml", targets: [x]}
  - {name: b, url: "file:../b.xml", targets: [x]}
  - {name: c, url: "file:///srv/c.xml", targets: [x]}
  - {name: d, url: "https://example.com/d.xml", targets: [x]}
accounts:
  x: {network: twitter}
`)
	t.Chdir(t.TempDir())
	cfg := mustLoad(t, path)
	dir := filepath.Dir(path)
	if want := "sqlite:" + filepath.Join(dir, "data/h.db"); cfg.Database.URL != want {
		t.Errorf("database.url = %q, want %q", cfg.Database.URL, want)
	}
	for i, want := range []string{
		"file://" + filepath.Join(dir, "feeds/a.xml"),
		"file://" + filepath.Join(filepath.Dir(dir), "b.xml"),
		"file:///srv/c.xml",
		"https://example.com/d.xml",
	} {
		if cfg.Sources[i].URL != want {
			t.Errorf("sources[%d].url = %q, want %q", i, cfg.Sources[i].URL, want)
		}
	}

	t.Setenv("HERALD_DATABASE_URL", "sqlite:env.db")
	if cfg := mustLoad(t, path); cfg.Database.URL != "sqlite:env.db" {
		t.Errorf("from the environment, database.url = %q, want it as given", cfg.Database.URL)
	}
}
