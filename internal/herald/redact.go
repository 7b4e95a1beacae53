package herald

import (
	"net/url"
	"regexp"
	"strings"
)

// Masked replaces every secret RedactURL hides.
const Masked = "***"

// secretParams are query parameters (compared case-insensitively) whose
// value is a credential: database passwords, and the access keys feed and
// hub URLs carry.
var secretParams = map[string]bool{
	"password": true, "sslpassword": true, "passwd": true,
	"apikey": true, "api_key": true, "key": true, "token": true, "access_token": true,
	"secret": true, "sig": true, "signature": true,
}

// dsnSecret matches the value of a secret keyword in a keyword/value
// connection string: password=x, password='x y', sslpassword = "x".
var dsnSecret = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)`)

// RedactURL is how Herald prints a URL or a connection string it was given:
// the password in the user info, the values of secret-looking query
// parameters (password, sslpassword, apikey, api_key, key, token, secret,
// sig, signature, …) and the password of a keyword/value DSN
// ("host=db password=…") are replaced by Masked. Every log line, command
// output and page that shows a database, feed or hub URL goes through it.
func RedactURL(s string) string {
	if s == "" {
		return s
	}
	if !strings.Contains(s, "://") && !strings.HasPrefix(s, "sqlite:") && !strings.HasPrefix(s, "file:") &&
		strings.Contains(s, "=") {
		return dsnSecret.ReplaceAllString(s, "${1}"+Masked)
	}
	u, err := url.Parse(s)
	if err != nil {
		// Unparsable: keep the scheme only, the rest may hold a secret.
		if scheme, _, ok := strings.Cut(s, "://"); ok {
			return scheme + "://" + Masked
		}
		if scheme, _, ok := strings.Cut(s, ":"); ok {
			return scheme + ":" + Masked
		}
		return Masked
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Masked)
	}
	if u.RawQuery != "" {
		u.RawQuery = redactQuery(u.RawQuery)
	}
	if u.Opaque != "" {
		// sqlite:data/herald.db?_pragma=…&key=…
		if path, q, ok := strings.Cut(u.Opaque, "?"); ok {
			u.Opaque = path + "?" + redactQuery(q)
		}
	}
	return strings.ReplaceAll(u.String(), url.QueryEscape(Masked), Masked)
}

// redactQuery masks secret parameters in a raw query, keeping the others
// byte for byte.
func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && secretParams[strings.ToLower(name)] {
			parts[i] = k + "=" + Masked
		}
	}
	return strings.Join(parts, "&")
}
