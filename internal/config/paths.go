package config

import (
	"net/url"
	"path/filepath"
	"strings"
)

// resolvePaths makes the relative paths of the configuration read from file
// relative to that file's directory rather than to the directory Herald
// runs in, so that a command run from anywhere reaches the same database
// and feeds: a relative file:// source URL (file://feeds/a.xml,
// file:feeds/a.xml) and, when the file sets it (db), a relative sqlite:
// database path. With no file nothing changes; the default database and one
// from HERALD_DATABASE_URL stay relative to the working directory.
func (c *Config) resolvePaths(file string, db bool) {
	if file == "" {
		return
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return
	}
	if p, ok := strings.CutPrefix(c.Database.URL, "sqlite:"); db && ok && p != "" && !filepath.IsAbs(p) && !strings.HasPrefix(p, "//") {
		c.Database.URL = "sqlite:" + filepath.Join(dir, p)
	}
	for i, s := range c.Sources {
		c.Sources[i].URL = resolveFileURL(dir, s.URL)
	}
}

// resolveFileURL returns raw as an absolute file:/// URL when it is a
// relative file URL (resolved in dir), and raw unchanged otherwise.
func resolveFileURL(dir, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" {
		return raw
	}
	var rel string
	switch {
	case u.Opaque != "":
		p, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return raw
		}
		rel = p
	case u.Host == "" || u.Host == "localhost":
		return raw // file:///abs
	default:
		rel = u.Host + u.Path
	}
	if filepath.IsAbs(rel) {
		return raw
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, rel))}).String()
}
