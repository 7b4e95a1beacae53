package nettest

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	var s Tokens
	if _, err := s.LoadToken(ctx, "a"); !errors.Is(err, herald.ErrNotFound) {
		t.Fatalf("load of nothing: %v", err)
	}
	full := errors.New("disk full")
	s.FailSaves(full)
	if err := s.SaveToken(ctx, "a", herald.Token{AccessToken: "x"}); !errors.Is(err, full) {
		t.Fatalf("failing save: %v", err)
	}
	s.FailSaves(nil)
	if err := s.SaveToken(ctx, "a", herald.Token{AccessToken: "y"}); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.LoadToken(ctx, "a"); err != nil || tok.AccessToken != "y" {
		t.Fatalf("load = %+v, %v", tok, err)
	}
	if tok, saves := s.Get("a"); tok.AccessToken != "y" || saves != 1 {
		t.Fatalf("Get = %+v, %d saves", tok, saves)
	}
}
