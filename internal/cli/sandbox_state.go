package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
)

// The sandbox is one network for every process of an installation, and it
// outlives them. Its state — the accounts it knows (identities and sandbox
// credentials), every post with its id and engagement, the counters new
// ids come from — is kept in a file beside the database,
// PATH.sandbox.json (0600, replaced atomically after every request that
// reaches an emulation; a sandbox started while the database does not
// exist yet starts afresh). The process serving it (herald run, herald
// sandbox, or a command when neither runs) holds an exclusive lock on
// PATH.sandbox.lock and records where it serves in PATH.sandbox.addr; any
// other process of the same configuration finds it there and posts,
// deletes, checks and reads engagement through it, with the credentials of
// the state file. A daemon does not lean on a sandbox that a passing
// command serves: it waits for the command to end and serves it itself. (A
// second daemon of the same database posts through the first's sandbox,
// and must be restarted if the first stops.) With a database other than a SQLite file there is no data
// directory: the sandbox lives in memory, in the process that starts it.

// sandboxFiles are where a sandbox keeps its state, lock and address.
type sandboxFiles struct {
	db, state, lock, addr string
}

// sandboxFilesOf returns cfg's sandbox files, false when it has nowhere to
// keep them.
func sandboxFilesOf(cfg *config.Config) (sandboxFiles, bool) {
	base := ""
	if p, ok := sqlitePath(cfg.Database.URL); ok && p != ":memory:" && !strings.HasPrefix(p, "file::memory:") {
		base = strings.TrimPrefix(p, "file:")
		if i := strings.IndexByte(base, '?'); i >= 0 {
			base = base[:i]
		}
	}
	if base == "" {
		return sandboxFiles{}, false
	}
	return sandboxFiles{db: base, state: base + ".sandbox.json", lock: base + ".sandbox.lock", addr: base + ".sandbox.addr"}, true
}

// sandboxState is the state file.
type sandboxState struct {
	// Addr is where the sandbox last served: a new one listens there again
	// when it can, so permalinks keep working across restarts.
	Addr     string                     `json:"addr,omitempty"`
	Accounts map[string]sandboxIdentity `json:"accounts"`
	X        emulator.XState            `json:"x"`
	Graph    emulator.GraphState        `json:"graph"`
	Mastodon emulator.MastodonState     `json:"mastodon"`
	Bluesky  emulator.BlueskyState      `json:"bluesky"`
}

// sandboxIdentity is what the sandbox knows an account by: who it is on its
// network and the credentials the emulation accepts from it.
type sandboxIdentity struct {
	Network string `json:"network"`
	// X
	UserID            string `json:"user_id,omitempty"`
	ConsumerKey       string `json:"consumer_key,omitempty"`
	ConsumerSecret    string `json:"consumer_secret,omitempty"`
	AccessToken       string `json:"access_token,omitempty"` // X and Mastodon
	AccessTokenSecret string `json:"access_token_secret,omitempty"`
	ClientID          string `json:"client_id,omitempty"`
	ClientSecret      string `json:"client_secret,omitempty"`
	RefreshToken      string `json:"refresh_token,omitempty"`
	// Facebook
	PageID          string `json:"page_id,omitempty"`
	PageAccessToken string `json:"page_access_token,omitempty"`
	AppID           string `json:"app_id,omitempty"`
	AppSecret       string `json:"app_secret,omitempty"`
	// Mastodon
	MastodonID string `json:"mastodon_id,omitempty"`
	// Bluesky
	Handle      string `json:"handle,omitempty"`
	DID         string `json:"did,omitempty"`
	AppPassword string `json:"app_password,omitempty"`
}

// identityOf is account a's identity, a as sandboxAccount made it (the
// i-th account, named id).
func identityOf(i int, id string, a config.Account) sandboxIdentity {
	s := sandboxIdentity{Network: a.Network,
		UserID: a.UserID, ConsumerKey: a.ConsumerKey, ConsumerSecret: a.ConsumerSecret,
		AccessToken: a.AccessToken, AccessTokenSecret: a.AccessTokenSecret,
		ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken,
		PageID: a.PageID, PageAccessToken: a.PageAccessToken, AppID: a.AppID, AppSecret: a.AppSecret,
		Handle: strings.TrimPrefix(a.Handle, "@"), AppPassword: a.AppPassword,
	}
	switch a.Network {
	case config.NetworkMastodon:
		s.MastodonID = strconv.Itoa(110_000_001 + i)
	case config.NetworkBluesky:
		s.DID = "did:plc:sandbox" + strconv.Itoa(i)
	}
	return s
}

// apply returns a with s's identity and credentials and its network's base
// URL set to base.
func (s sandboxIdentity) apply(a config.Account, base string) config.Account {
	switch a.Network {
	case config.NetworkTwitter:
		a.UserID, a.ConsumerKey, a.ConsumerSecret = s.UserID, s.ConsumerKey, s.ConsumerSecret
		a.AccessToken, a.AccessTokenSecret = s.AccessToken, s.AccessTokenSecret
		a.ClientID, a.ClientSecret, a.RefreshToken = s.ClientID, s.ClientSecret, s.RefreshToken
		if s.ClientID == "" {
			a.Auth = "oauth1"
		}
	case config.NetworkFacebook:
		a.PageID, a.PageAccessToken, a.AppID, a.AppSecret = s.PageID, s.PageAccessToken, s.AppID, s.AppSecret
	case config.NetworkMastodon:
		a.AccessToken = s.AccessToken
	case config.NetworkBluesky:
		a.Handle, a.AppPassword = s.Handle, s.AppPassword
	}
	a.APIBaseURL, a.GraphBaseURL, a.InstanceURL, a.PDSURL = pointAt(a, base)
	return a
}

// taken reports whether another identity of the same network already uses
// s's user, page, Mastodon account or DID.
func (st *sandboxState) taken(s sandboxIdentity) bool {
	for _, o := range st.Accounts {
		if o.Network != s.Network {
			continue
		}
		switch {
		case s.UserID != "" && o.UserID == s.UserID, s.PageID != "" && o.PageID == s.PageID,
			s.MastodonID != "" && o.MastodonID == s.MastodonID, s.DID != "" && o.DID == s.DID,
			s.Handle != "" && o.Handle == s.Handle:
			return true
		}
	}
	return false
}

// loadSandboxState reads the state file; a missing one is an empty state.
func loadSandboxState(path string) (*sandboxState, error) {
	st := &sandboxState{Accounts: map[string]sandboxIdentity{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w (move it away to start the sandbox afresh)", path, err)
	}
	if st.Accounts == nil {
		st.Accounts = map[string]sandboxIdentity{}
	}
	return st, nil
}

// writeFileAtomic replaces path with data (mode 0600): written beside it,
// then renamed over it, so a reader sees the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// sandboxAddr is the address file: where the sandbox serves, which process
// serves it, and a token that process answers GET /sandbox/id with (so an
// address reused by something else is not taken for it).
type sandboxAddr struct {
	Addr  string      `json:"addr"`
	PID   int         `json:"pid"`
	Role  sandboxRole `json:"role"`
	Token string      `json:"token"`
}

// sandboxRole is what serves a sandbox: herald run, herald sandbox, or
// another command, which serves it only while it runs (a daemon waits for
// it to end rather than depend on it).
type sandboxRole string

const (
	roleDaemon  sandboxRole = "run"
	roleSandbox sandboxRole = "sandbox"
	roleCommand sandboxRole = "command"
)

// liveSandbox returns the URL of the sandbox the address file names, and
// what serves it, when it answers as that sandbox.
func liveSandbox(ctx context.Context, files sandboxFiles) (string, sandboxRole, bool) {
	b, err := os.ReadFile(files.addr)
	if err != nil {
		return "", "", false
	}
	var a sandboxAddr
	if json.Unmarshal(b, &a) != nil || a.Addr == "" || a.Token == "" {
		return "", "", false
	}
	base := "http://" + a.Addr
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sandbox/id", nil)
	if err != nil {
		return "", "", false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != a.Token {
		return "", "", false
	}
	return base, a.Role, true
}

// secretMode says where the credentials of an account the state does not
// know yet come from: fresh random ones (sandbox: true), or the
// configuration's else fixed ones (herald sandbox, which keeps the
// configuration's identities too).
type secretMode int // see newServedSandbox

const (
	freshSecrets secretMode = iota
	fixedSecrets
)

// servedSandbox is a sandbox this process serves, with its state file.
type servedSandbox struct {
	*emulations
	files  sandboxFiles
	keep   bool // whether to keep the state (false: memory only)
	token  string
	role   sandboxRole
	idents map[string]sandboxIdentity // by account ID; the state's accounts
	lockF  *os.File
	saveMu sync.Mutex
	addr   string // guarded by saveMu
	log    func(msg string, args ...any)
}

// newServedSandbox loads the state (when keep), gives each account of cfg
// its sandbox identity (kept from the state, else new: see secretMode),
// registers every account of the state with the emulations, and restores
// the posts. The returned state's Accounts are the identities to apply to
// cfg. The lock must be held.
func newServedSandbox(cfg *config.Config, files sandboxFiles, keep bool, role sandboxRole) (*servedSandbox, *sandboxState, error) {
	mode := freshSecrets
	if role == roleSandbox {
		mode = fixedSecrets
	}
	st := &sandboxState{Accounts: map[string]sandboxIdentity{}}
	// A new database starts a new sandbox too: what an old state holds
	// would only refuse the new database's posts as duplicates.
	if _, err := os.Stat(files.db); keep && err == nil {
		if st, err = loadSandboxState(files.state); err != nil {
			return nil, nil, err
		}
	}
	for i, id := range accountIDs(cfg) {
		a := cfg.Accounts[id]
		prev, known := st.Accounts[id]
		if known && prev.Network == a.Network && mode == freshSecrets {
			continue
		}
		if mode == freshSecrets {
			a = freshAccount(i, a)
		}
		secret := fixedSecret
		if mode == freshSecrets {
			secret = freshSecret
		}
		s := identityOf(i, id, sandboxAccount(i, id, a, secret))
		if known && prev.Network == a.Network {
			s.MastodonID, s.DID = prev.MastodonID, prev.DID // not configurable; the posts are theirs
		} else {
			delete(st.Accounts, id)
			for n := 0; mode == freshSecrets && st.taken(s) && n < 1000; n++ {
				s = identityOf(i+len(cfg.Accounts)*(n+1), id, sandboxAccount(i+len(cfg.Accounts)*(n+1), id, a, freshSecret))
			}
		}
		st.Accounts[id] = s
	}
	sb := &servedSandbox{emulations: newEmulations(), files: files, keep: keep, token: rand.Text(), role: role, idents: st.Accounts}
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		sb.register(id, st.Accounts[id])
	}
	if err := errors.Join(sb.X.Restore(st.X), sb.Graph.Restore(st.Graph), sb.Mastodon.Restore(st.Mastodon),
		sb.Bluesky.Restore(st.Bluesky)); err != nil {
		return nil, nil, fmt.Errorf("sandbox state %s: %w (move it away to start the sandbox afresh)", files.state, err)
	}
	return sb, st, nil
}

// freshAccount is account a (the i-th) as sandbox: true first registers
// it: X with OAuth 1.0a and the emulation's own user ID (a stored OAuth
// 2.0 token means nothing to it), Facebook with a made-up page and app,
// Bluesky with a made-up handle.
func freshAccount(i int, a config.Account) config.Account {
	switch a.Network {
	case config.NetworkTwitter:
		a.Auth, a.UserID = "oauth1", ""
		a.ClientID, a.ClientSecret, a.RefreshToken = "", "", ""
	case config.NetworkFacebook:
		a.PageID, a.AppID, a.AppSecret = "", strconv.Itoa(880_000_000_000_001+i), rand.Text()
	case config.NetworkBluesky:
		a.Handle = ""
	}
	return a
}

// save writes the state file (when the state is kept).
func (sb *servedSandbox) save() error {
	if sb == nil || !sb.keep {
		return nil
	}
	sb.saveMu.Lock()
	defer sb.saveMu.Unlock()
	st := sandboxState{Addr: sb.addr, Accounts: sb.idents,
		X: sb.X.State(), Graph: sb.Graph.State(), Mastodon: sb.Mastodon.State(), Bluesky: sb.Bluesky.State()}
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	if err := writeFileAtomic(sb.files.state, b); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	return nil
}

// persisting saves the state after every request next serves.
func (sb *servedSandbox) persisting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if err := sb.save(); err != nil && sb.log != nil {
			sb.log("sandbox: cannot keep its state", "error", err)
		}
	})
}

// announce records where the sandbox serves (the state and the address
// file), for the other processes of the installation.
func (sb *servedSandbox) announce(addr string) error {
	sb.saveMu.Lock()
	sb.addr = addr
	sb.saveMu.Unlock()
	if !sb.keep {
		return nil
	}
	if err := sb.save(); err != nil {
		return err
	}
	b, err := json.Marshal(sandboxAddr{Addr: addr, PID: os.Getpid(), Role: sb.role, Token: sb.token})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(sb.files.addr, b); err != nil {
		return fmt.Errorf("sandbox address: %w", err)
	}
	return nil
}

// release saves the state a last time, removes the address file and lets
// another process serve the sandbox.
func (sb *servedSandbox) release() error {
	if sb == nil {
		return nil
	}
	err := sb.save()
	if sb.keep {
		if b, rerr := os.ReadFile(sb.files.addr); rerr == nil && strings.Contains(string(b), sb.token) {
			_ = os.Remove(sb.files.addr)
		}
	}
	if sb.lockF != nil {
		sb.lockF.Close()
		sb.lockF = nil
	}
	return err
}

// listenSandbox listens on 127.0.0.1, on the last address when it is free.
func listenSandbox(ctx context.Context, last string) (net.Listener, error) {
	lc := &net.ListenConfig{}
	if last != "" && isLoopbackURL("http://"+last) {
		if ln, err := lc.Listen(ctx, "tcp", last); err == nil {
			return ln, nil
		}
	}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	return ln, nil
}

// sandboxWait bounds how long a process waits for the sandbox another one
// is starting or stopping, or a daemon for a command's to end.
const sandboxWait = 30 * time.Second

// claimSandbox either takes the sandbox's lock (this process, a role, is
// to serve it: lockF is set) or finds the sandbox another process serves
// (remote is its URL). It waits, at most sandboxWait, while the holder of
// the lock does not answer yet (starting) or any more (stopping), and a
// daemon waits while a command serves.
func claimSandbox(ctx context.Context, files sandboxFiles, role sandboxRole) (lockF *os.File, remote string, err error) {
	if err := os.MkdirAll(filepath.Dir(files.lock), 0o750); err != nil {
		return nil, "", fmt.Errorf("sandbox: %w", err)
	}
	f, err := os.OpenFile(files.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("sandbox: %w", err)
	}
	deadline := time.Now().Add(sandboxWait)
	for {
		got, err := tryLockHeld(f)
		if err != nil {
			f.Close()
			return nil, "", fmt.Errorf("sandbox: lock %s: %w", files.lock, err)
		}
		if got {
			return f, "", nil
		}
		// The look is bounded on its own (2 s), so that a cancelled ctx
		// still learns whether a sandbox serves.
		if u, by, ok := liveSandbox(context.WithoutCancel(ctx), files); ok && (role == roleCommand || by != roleCommand) {
			f.Close()
			return nil, u, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, "", fmt.Errorf("sandbox: another process holds %s and serves no sandbox for this one at the address in %s", files.lock, files.addr)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// joinSandbox points cfg's accounts at the sandbox served at base, with the
// credentials of the state file.
func joinSandbox(cfg *config.Config, files sandboxFiles, base string) error {
	st, err := loadSandboxState(files.state)
	if err != nil {
		return err
	}
	for _, id := range accountIDs(cfg) {
		a := cfg.Accounts[id]
		s, ok := st.Accounts[id]
		if !ok || s.Network != a.Network {
			return fmt.Errorf("sandbox: account %q is not registered with the sandbox at %s: restart the process serving it (herald run or herald sandbox) after changing accounts", id, base)
		}
		cfg.Accounts[id] = s.apply(a, base)
	}
	return nil
}
