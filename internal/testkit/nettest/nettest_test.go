package nettest

import (
	"context"
	"errors"
	"fmt"
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

// threadPub numbers what it publishes and keeps the messages.
type threadPub struct{ got []herald.Message }

func (p *threadPub) Publish(_ context.Context, m herald.Message) (herald.Receipt, error) {
	p.got = append(p.got, m)
	return herald.Receipt{RemoteID: fmt.Sprint("id", len(p.got))}, nil
}

func TestPublishThread(t *testing.T) {
	var p threadPub
	rs := PublishThread(context.Background(), t, &p, func(i int, text string) herald.Message {
		return herald.Message{Text: text, IdempotencyKey: fmt.Sprint("k", i)}
	})
	if len(rs) != 3 || len(p.got) != 3 || rs[2].RemoteID != "id3" {
		t.Fatalf("receipts %+v, published %+v", rs, p.got)
	}
	for i, m := range p.got {
		want := ""
		if i > 0 {
			want = rs[i-1].RemoteID
		}
		if m.ReplyTo != want || m.IdempotencyKey != fmt.Sprint("k", i) || m.Text == "" {
			t.Errorf("message %d = %+v, want a reply to %q", i, m, want)
		}
	}
}
