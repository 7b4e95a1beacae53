package cli

// Connected credentials: what `herald accounts connect` stored, used for an
// account whose configuration (and HERALD_* variables) hold none of the
// user's own credentials. A publisher built on them checks the stored
// version before each call and rebuilds itself when it changed, so a running
// daemon posts with credentials connected or refreshed meanwhile.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// connectedStore is what a publisher on connected credentials reads.
type connectedStore interface {
	herald.TokenStore
	herald.CredentialStore
}

// Where an account's credentials come from, as `herald accounts` shows it.
const (
	originConfig    = "config"
	originEnv       = "env"
	originConnected = "connected"
	originSandbox   = "sandbox"
	originNone      = "none"
)

// configuredOrigin says whether a's own credentials are set, and where:
// "env" if any comes from its HERALD_* variable, "config" otherwise, ""
// when none is set.
func configuredOrigin(id string, a config.Account) string {
	origin := ""
	for _, key := range config.UserCredentialKeys(a.Network) {
		if accountValue(&a, key) == nil || *accountValue(&a, key) == "" {
			continue
		}
		if os.Getenv(config.AccountEnvName(id, key)) != "" {
			return originEnv
		}
		origin = originConfig
	}
	return origin
}

// usesConnected reports whether account a takes its credentials from the
// store: none of its own is configured, and the sandbox does not supply them.
func usesConnected(cfg *config.Config, a config.Account) bool {
	if cfg.Sandbox {
		return false
	}
	for _, key := range config.UserCredentialKeys(a.Network) {
		if p := accountValue(&a, key); p != nil && *p != "" {
			return false
		}
	}
	return true
}

// accountValue points at the field of a that configuration key holds, nil
// for a key connected credentials may not set.
func accountValue(a *config.Account, key string) *string {
	switch key {
	case "user_id":
		return &a.UserID
	case "consumer_key":
		return &a.ConsumerKey
	case "consumer_secret":
		return &a.ConsumerSecret
	case "access_token":
		return &a.AccessToken
	case "access_token_secret":
		return &a.AccessTokenSecret
	case "client_id":
		return &a.ClientID
	case "client_secret":
		return &a.ClientSecret
	case "refresh_token":
		return &a.RefreshToken
	case "page_id":
		return &a.PageID
	case "page_access_token":
		return &a.PageAccessToken
	case "instance_url":
		return &a.InstanceURL
	case "pds_url":
		return &a.PDSURL
	case "handle":
		return &a.Handle
	case "app_password":
		return &a.AppPassword
	}
	return nil
}

// applyConnected returns a with the connected credentials c filled into the
// keys a leaves empty; the flow that obtained them picks X's auth.
func applyConnected(a config.Account, c herald.Credentials) config.Account {
	for _, m := range []map[string]string{c.Public, c.Secrets} {
		for key, v := range m {
			if p := accountValue(&a, key); p != nil && *p == "" {
				*p = v
			}
		}
	}
	if a.Network == config.NetworkTwitter && (c.Method == "oauth1" || c.Method == "oauth2") {
		a.Auth = c.Method
	}
	return a
}

// connectedAccounts returns which of cfg's accounts without configured
// credentials have connected ones in the store cfg names. A store that
// cannot be read (or a SQLite file not created yet) has none.
func connectedAccounts(ctx context.Context, cfg *config.Config) map[string]bool {
	var want []string
	for _, id := range accountIDs(cfg) {
		if usesConnected(cfg, cfg.Accounts[id]) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if path, ok := strings.CutPrefix(cfg.Database.URL, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := openStore(ctx, cfg.Database.URL)
	if err != nil {
		return nil
	}
	defer st.Close()
	out := map[string]bool{}
	for _, id := range want {
		if c, err := st.LoadCredentials(ctx, id); err == nil && c.Method != "" {
			out[id] = true
		}
	}
	return out
}

// connectedPublisher is the publisher of an account on connected
// credentials: built from the stored ones at its first call, and again
// whenever their version changed since.
type connectedPublisher struct {
	cfg    *config.Config
	id     string
	store  connectedStore
	log    *slog.Logger
	mu     sync.Mutex
	ver    int64
	inner  herald.Publisher
	hasPub bool
}

var (
	_ herald.Publisher    = (*connectedPublisher)(nil)
	_ compose.LimitSource = (*connectedPublisher)(nil)
)

func newConnectedPublisher(cfg *config.Config, id string, st connectedStore, logger *slog.Logger) *connectedPublisher {
	return &connectedPublisher{cfg: cfg, id: id, store: st, log: logger}
}

// Network is the configured account's network.
func (p *connectedPublisher) Network() herald.Network {
	return herald.Network(p.cfg.Accounts[p.id].Network)
}

// current returns the publisher for the stored credentials, rebuilt if they
// changed. A store that cannot be read keeps the one it has.
func (p *connectedPublisher) current(ctx context.Context, op string) (herald.Publisher, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.store.CredentialsVersion(ctx, p.id)
	if err != nil {
		if p.hasPub {
			return p.inner, nil
		}
		return nil, &herald.Error{Kind: herald.ErrRetryable, Network: p.Network(), Op: op,
			Message: "read connected credentials: " + err.Error(), Err: err}
	}
	if p.hasPub && v == p.ver {
		return p.inner, nil
	}
	c, err := p.store.LoadCredentials(ctx, p.id)
	if errors.Is(err, herald.ErrNotFound) {
		return nil, &herald.Error{Kind: herald.ErrAuth, Network: p.Network(), Op: op,
			Message: fmt.Sprintf("no credentials: configure them or run `herald accounts connect %s`", p.id)}
	}
	if err != nil {
		return nil, &herald.Error{Kind: herald.ErrRetryable, Network: p.Network(), Op: op,
			Message: "read connected credentials: " + err.Error(), Err: err}
	}
	inner, err := buildNetworkPublisher(p.cfg, p.id, applyConnected(p.cfg.Accounts[p.id], c), p.store, p.log)
	if err != nil {
		return nil, &herald.Error{Kind: herald.ErrAuth, Network: p.Network(), Op: op,
			Message: fmt.Sprintf("connected credentials unusable (%v): run `herald accounts connect %s`", err, p.id)}
	}
	if p.hasPub {
		p.log.Info("connected credentials changed; using the new ones", "account", p.id)
	}
	p.inner, p.ver, p.hasPub = inner, v, true
	return inner, nil
}

// Publish posts with the current credentials.
func (p *connectedPublisher) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	in, err := p.current(ctx, "create post")
	if err != nil {
		return herald.Receipt{}, err
	}
	return in.Publish(ctx, m)
}

// FindPost looks for a post with the current credentials.
func (p *connectedPublisher) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	in, err := p.current(ctx, "find post")
	if err != nil {
		return herald.Receipt{}, false, 0, err
	}
	return in.FindPost(ctx, link, since)
}

// Engagement reads counters with the current credentials.
func (p *connectedPublisher) Engagement(ctx context.Context, ids []string) (map[string]herald.Engagement, []string, error) {
	in, err := p.current(ctx, "read engagement")
	if err != nil {
		return nil, nil, err
	}
	return in.Engagement(ctx, ids)
}

// Delete deletes a post with the current credentials.
func (p *connectedPublisher) Delete(ctx context.Context, id string) error {
	in, err := p.current(ctx, "delete post")
	if err != nil {
		return err
	}
	return in.Delete(ctx, id)
}

// Check checks the current credentials.
func (p *connectedPublisher) Check(ctx context.Context) (herald.Identity, error) {
	in, err := p.current(ctx, "check")
	if err != nil {
		return herald.Identity{}, err
	}
	return in.Check(ctx)
}

// TextLimits are the instance's limits where the network has them.
func (p *connectedPublisher) TextLimits() (int, int) {
	p.mu.Lock()
	in := p.inner
	p.mu.Unlock()
	if ls, ok := in.(compose.LimitSource); ok {
		return ls.TextLimits()
	}
	return 0, 0
}

// credentialOrigin says where account id's credentials come from: sandbox,
// env, config, connected, or none.
func credentialOrigin(ctx context.Context, cfg *config.Config, st herald.CredentialStore, id string) (string, error) {
	a, ok := cfg.Accounts[id]
	switch {
	case !ok:
		return originNone, nil
	case cfg.Sandbox:
		return originSandbox, nil
	}
	if o := configuredOrigin(id, a); o != "" {
		return o, nil
	}
	_, err := st.LoadCredentials(ctx, id)
	switch {
	case err == nil:
		return originConnected, nil
	case errors.Is(err, herald.ErrNotFound):
		return originNone, nil
	}
	return "", err
}
