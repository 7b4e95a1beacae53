package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// authenticate identifies the caller from an OAuth 1.0a signature or an
// OAuth 2.0 user token. It fills c and returns nil, or returns the 401 answer
// (v2 or v1.1 shaped).
func (x *X) authenticate(r *http.Request, c *xCall, v11 bool) *reply {
	h := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(h, "OAuth "):
		u, valid, revoked := x.verifyOAuth1(r, h)
		c.sigValid = valid
		if u != nil && valid && !revoked {
			c.user, c.auth = u, "oauth1"
			return nil
		}
		if v11 && revoked {
			rep := xV11Error(http.StatusUnauthorized, 89, "Invalid or expired token.")
			return &rep
		}
	case strings.HasPrefix(h, "Bearer "):
		if u := x.bearerUser(strings.TrimPrefix(h, "Bearer ")); u != nil && !v11 {
			c.user, c.auth = u, "oauth2"
			return nil
		}
	}
	if v11 {
		rep := xV11Error(http.StatusUnauthorized, 32, "Could not authenticate you.")
		return &rep
	}
	rep := xUnauthorized()
	return &rep
}

func (x *X) bearerUser(tok string) *xUser {
	x.mu.Lock()
	defer x.mu.Unlock()
	b, ok := x.bearer[tok]
	if !ok {
		return nil
	}
	if !x.opts.Now().Before(b.expires) {
		delete(x.bearer, tok)
		return nil
	}
	u := x.users[b.userID]
	if u == nil || u.revoked {
		return nil
	}
	return u
}

// verifyOAuth1 checks an HMAC-SHA1 signature as RFC 5849 defines it: the base
// string is rebuilt from the method, the URL the request reached, the oauth_*
// parameters, the query and a form-encoded body, and signed with the
// registered consumer secret and token secret. It returns the user the
// credentials belong to (nil if none), whether the signature matched, and
// whether the user's tokens were revoked.
func (x *X) verifyOAuth1(r *http.Request, header string) (u *xUser, valid, revoked bool) {
	oauth := xParseOAuthHeader(header)
	sig := oauth["oauth_signature"]
	if oauth["oauth_signature_method"] != "HMAC-SHA1" || sig == "" ||
		(oauth["oauth_version"] != "" && oauth["oauth_version"] != "1.0") {
		return nil, false, false
	}
	x.mu.Lock()
	for _, cand := range x.users {
		if cand.ConsumerKey != "" && cand.ConsumerKey == oauth["oauth_consumer_key"] &&
			cand.AccessToken == oauth["oauth_token"] {
			u = cand
			break
		}
	}
	x.mu.Unlock()
	if u == nil {
		return nil, false, false
	}
	valid = xSignatureValid(r, oauth, u.ConsumerSecret, u.AccessTokenSecret)
	x.mu.Lock()
	revoked = u.revoked
	x.mu.Unlock()
	return u, valid, revoked
}

// xSignatureValid checks the HMAC-SHA1 signature of r (its OAuth header
// parsed as oauth) made with the consumer secret and token secret given.
func xSignatureValid(r *http.Request, oauth map[string]string, consumerSecret, tokenSecret string) bool {
	sig := oauth["oauth_signature"]
	if oauth["oauth_signature_method"] != "HMAC-SHA1" || sig == "" {
		return false
	}
	params := url.Values{}
	for k, vs := range r.URL.Query() {
		params[k] = append(params[k], vs...)
	}
	if form, err := xFormBody(r); err == nil {
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	for k, v := range oauth {
		if k != "oauth_signature" && k != "realm" {
			params.Set(k, v)
		}
	}
	base := strings.ToUpper(r.Method) + "&" + xOAuthEncode(xBaseURI(r)) + "&" + xOAuthEncode(xNormalizeParams(params))
	mac := hmac.New(sha1.New, []byte(xOAuthEncode(consumerSecret)+"&"+xOAuthEncode(tokenSecret)))
	mac.Write([]byte(base))
	got, err := base64.StdEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, mac.Sum(nil))
}

// xParseOAuthHeader parses `OAuth k="v", ...` into decoded pairs.
func xParseOAuthHeader(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(h, "OAuth "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		out[k] = v
	}
	return out
}

// xFormBody reads a form-encoded body without consuming it for the handler.
func xFormBody(r *http.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || mt != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(string(b))
}

// xBaseURI is RFC 5849 3.4.1.2's base string URI of the request as received.
func xBaseURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if h, port, ok := strings.Cut(host, ":"); ok && (port == "80" && scheme == "http" || port == "443" && scheme == "https") {
		host = h
	}
	return scheme + "://" + host + r.URL.EscapedPath()
}

func xNormalizeParams(v url.Values) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range v {
		for _, s := range vs {
			pairs = append(pairs, kv{xOAuthEncode(k), xOAuthEncode(s)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// xOAuthEncode percent-encodes everything but RFC 3986's unreserved characters.
func xOAuthEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

// token serves POST /2/oauth2/token for grant_type=refresh_token: refresh
// tokens are single-use and rotate, as X's do.
func (x *X) token(r *http.Request, c *xCall) reply {
	if err := r.ParseForm(); err != nil {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Malformed request body.")
	}
	if r.PostForm.Get("grant_type") == "authorization_code" {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.exchangeCode(r, c)
	}
	if gt := r.PostForm.Get("grant_type"); gt != "refresh_token" {
		return xOAuthError(http.StatusBadRequest, "unsupported_grant_type", "Grant type not supported: "+gt)
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID = r.PostForm.Get("client_id")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	uid, ok := x.refresh[r.PostForm.Get("refresh_token")]
	u := x.users[uid]
	if !ok || u == nil || u.revoked {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Value passed for the token was invalid.")
	}
	if u.ClientID != clientID {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Value passed for the token was invalid.")
	}
	if u.ClientSecret != "" && (!basic || !hmac.Equal([]byte(secret), []byte(u.ClientSecret))) {
		return xOAuthError(http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
	}
	c.user, c.auth = u, "basic"
	delete(x.refresh, r.PostForm.Get("refresh_token"))
	access, refresh := xRandomToken(), xRandomToken()
	x.refresh[refresh] = u.ID
	u.RefreshToken = refresh
	x.bearer[access] = &xBearer{userID: u.ID, expires: x.opts.Now().Add(x.opts.AccessTokenLifetime)}
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{
		"token_type":    "bearer",
		"expires_in":    int(x.opts.AccessTokenLifetime.Seconds()),
		"access_token":  access,
		"scope":         "tweet.write users.read tweet.read offline.access",
		"refresh_token": refresh,
	}}
}

func xOAuthError(status int, code, desc string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]any{
		"error": code, "error_description": desc,
	}}
}

func xRandomToken() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
