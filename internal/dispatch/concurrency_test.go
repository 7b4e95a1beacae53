package dispatch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// gatedPub counts the calls in flight through it and holds each one until
// as many as the limit are in flight together (or a while has passed), so a
// dispatcher that let more through would be seen doing so.
type gatedPub struct {
	*fakePub
	limit int

	mu       sync.Mutex
	inFlight int
	most     int
	full     chan struct{} // closed when inFlight first reaches limit
}

func (g *gatedPub) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	if g.inFlight == g.limit {
		select {
		case <-g.full:
		default:
			close(g.full)
		}
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case <-g.full:
	case <-time.After(200 * time.Millisecond):
	}
	return g.fakePub.Publish(ctx, m)
}

func TestConcurrencyBoundsCallsInFlight(t *testing.T) {
	t.Parallel()
	const accounts, perAccount, limit = 6, 3, 2
	// One gate for every account: the bound is the dispatcher's, over all.
	fake := newFake(herald.Twitter, time.Now)
	g := &gatedPub{fakePub: fake, limit: limit, full: make(chan struct{})}
	var accts []Account
	for i := range accounts {
		accts = append(accts, xAccount(fmt.Sprintf("x_%d", i), g))
	}
	fx := newFixture(t, accts...)
	var targets []string
	for _, a := range accts {
		targets = append(targets, a.ID)
	}
	fx.articles(perAccount, targets...)
	d := fx.dispatcher(accts, Options{Concurrency: limit})
	if n := fx.runOnce(d); n != accounts*perAccount {
		t.Fatalf("handled %d jobs, want %d", n, accounts*perAccount)
	}
	if got := len(fake.Posts()); got != accounts*perAccount {
		t.Errorf("%d posts, want %d", got, accounts*perAccount)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.most > limit {
		t.Errorf("%d calls in flight at once, want at most Concurrency = %d", g.most, limit)
	}
	select {
	case <-g.full:
	default:
		t.Errorf("never %d calls in flight at once with %d accounts to send for", limit, accounts)
	}
}

// TestBudgetHoldsAcrossDispatchers runs three dispatchers (as three
// instances would) on one store, each reading the spend at the same moment:
// together they send exactly what the budget allows.
func TestBudgetHoldsAcrossDispatchers(t *testing.T) {
	t.Parallel()
	fx, x, a := budgetFixture(t)
	fx.articles(9, "x")
	var ds []*Dispatcher
	for i := range 3 {
		ds = append(ds, fx.dispatcher([]Account{a}, Options{Owner: fmt.Sprintf("i%d", i)}))
	}
	// Each reads the spend before any of them claims: all three see room
	// for three posts.
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() {
			<-start
			if _, err := d.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := len(x.Posts()); n != 3 {
		t.Errorf("%d posts from three dispatchers, want the budget's 3", n)
	}
	spent, err := fx.store.Spend(context.Background(), "x", monthStart(fx.clock.Now()))
	if err != nil || spent != Dollars(0.60) {
		t.Errorf("spend %d (%v), want 0.60 USD", spent, err)
	}
}
