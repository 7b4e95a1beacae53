// Package nettest holds the fixtures the tests of Herald's network clients
// share. Unlike package testkit it may import the domain (internal/herald),
// so the domain's own tests cannot use it.
//
// It is imported by tests only; the product never links it.
package nettest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// Tokens is a herald.TokenStore in memory; safe for concurrent use. Its zero
// value is empty and ready.
type Tokens struct {
	mu    sync.Mutex
	m     map[string]herald.Token
	saves int
	fail  error
}

// LoadToken returns the token saved for account, or herald.ErrNotFound.
func (s *Tokens) LoadToken(_ context.Context, account string) (herald.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[account]
	if !ok {
		return herald.Token{}, herald.ErrNotFound
	}
	return t, nil
}

// SaveToken keeps t for account, unless FailSaves made saves fail.
func (s *Tokens) SaveToken(_ context.Context, account string, t herald.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	if s.m == nil {
		s.m = map[string]herald.Token{}
	}
	s.m[account] = t
	s.saves++
	return nil
}

// Get returns the token saved for account (the zero Token if none) and how
// many saves, of any account, have succeeded so far.
func (s *Tokens) Get(account string) (herald.Token, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[account], s.saves
}

// FailSaves makes every later save fail with err; nil makes them succeed
// again.
func (s *Tokens) FailSaves(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// AsError returns err as a *herald.Error, failing the test when it is not
// one, and checks that it comes from network and that no secret ("" ones
// are skipped) shows in it, its fields or the error it wraps.
func AsError(t testing.TB, err error, network herald.Network, secrets ...string) *herald.Error {
	t.Helper()
	var he *herald.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *herald.Error", err, err)
	}
	all := fmt.Sprintf("%v %+v %v", err, *he, he.Err)
	for _, s := range secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("error leaks a secret: %s", all)
		}
	}
	if he.Network != network {
		t.Errorf("network = %q, want %q", he.Network, network)
	}
	return he
}

// Fixture is a network client under test, the emulation it calls at URL,
// and the fake clock both of them read.
type Fixture[Emu, Client any] struct {
	Emu    Emu
	Client Client
	Clock  *testkit.Clock
	URL    string
}

// Start serves the emulation start makes, handing it the fixture's clock
// (at 2026-04-01 09:00 UTC) as now; the server is closed when the test
// ends. The caller sets Client.
func Start[Emu, Client any](t testing.TB, start func(now func() time.Time) (Emu, *httptest.Server)) *Fixture[Emu, Client] {
	t.Helper()
	clk := testkit.NewClock(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	emu, srv := start(clk.Now)
	t.Cleanup(srv.Close)
	return &Fixture[Emu, Client]{Emu: emu, Clock: clk, URL: srv.URL}
}

// Build makes a network client for a test: edit (when not nil) changes the
// test's configuration, then build makes the client; the test fails if it
// cannot.
func Build[Config, Client any](t testing.TB, cfg Config, edit func(*Config), build func(Config) (Client, error)) Client {
	t.Helper()
	if edit != nil {
		edit(&cfg)
	}
	c, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Publisher is the part of a network client Publish and PublishThread use.
type Publisher interface {
	Publish(ctx context.Context, m herald.Message) (herald.Receipt, error)
}

// Publish publishes m and returns its receipt; the test fails if it cannot.
func Publish(ctx context.Context, t testing.TB, p Publisher, m herald.Message) herald.Receipt {
	t.Helper()
	r, err := p.Publish(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// PublishThread publishes a thread of three posts, each after the first a
// reply to the one before, and returns their receipts; the test fails if one
// cannot be published. message (nil: one with only the text) makes the i-th
// message from its text.
func PublishThread(ctx context.Context, t testing.TB, p Publisher, message func(i int, text string) herald.Message) []herald.Receipt {
	t.Helper()
	var out []herald.Receipt
	for i, text := range []string{"Most shared today 1/3", "2/3 https://example.com/a", "3/3 https://example.com/b"} {
		m := herald.Message{Text: text}
		if message != nil {
			m = message(i, text)
		}
		if i > 0 {
			m.ReplyTo = out[i-1].RemoteID
		}
		out = append(out, Publish(ctx, t, p, m))
	}
	return out
}

// PublishOnly publishes m, which must then be the only post that posts
// (the emulation's list) returns, and returns the receipt and that post.
func PublishOnly[Post any](ctx context.Context, t testing.TB, p Publisher, m herald.Message, posts func() []Post) (herald.Receipt, Post) {
	t.Helper()
	r := Publish(ctx, t, p, m)
	ps := posts()
	if len(ps) != 1 {
		t.Fatalf("%d posts after one publish, want 1: %+v", len(ps), ps)
	}
	return r, ps[0]
}
