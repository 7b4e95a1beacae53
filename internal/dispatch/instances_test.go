package dispatch

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// callLog records the calls of several instances' publishers for one
// account: how many were in flight at once at most, and the order in which
// they began.
type callLog struct {
	mu       sync.Mutex
	inFlight int
	most     int
	began    []string // the posts' texts
}

// trackedPub is one instance's publisher, writing to a shared callLog;
// before (when set) runs as each call begins, outside any lock.
type trackedPub struct {
	*fakePub
	log    *callLog
	before func(m herald.Message)
}

func (p *trackedPub) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	p.log.mu.Lock()
	p.log.inFlight++
	p.log.most = max(p.log.most, p.log.inFlight)
	p.log.began = append(p.log.began, m.Text)
	p.log.mu.Unlock()
	defer func() {
		p.log.mu.Lock()
		p.log.inFlight--
		p.log.mu.Unlock()
	}()
	if p.before != nil {
		p.before(m)
	}
	return p.fakePub.Publish(ctx, m)
}

// TestOneInstancePerAccountAcrossDispatchers: two instances share a store
// and an account without spacing. The first claims a batch of three, and
// its claim runs out while it sends the first (a slow call); the second
// instance, looking then, is given the account's next job. The first must
// send no more of its batch: never two calls for the account in flight, and
// its posts appear in publication order.
func TestOneInstancePerAccountAcrossDispatchers(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	calls := &callLog{}
	p0 := &trackedPub{fakePub: newFake(herald.Twitter, fx.clock.Now), log: calls}
	p1 := &trackedPub{fakePub: newFake(herald.Twitter, fx.clock.Now), log: calls}
	a0, a1 := xAccount("x", p0), xAccount("x", p1)
	fx.sync(a0)
	fx.articles(4, "x")
	titles := []string{"Story number 1", "Story number 2", "Story number 3", "Story number 4"}

	// The second instance's first call waits until the first instance is
	// done: it is in flight for as long as the first one could send.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p1.before = func(herald.Message) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	i1 := fx.dispatcher([]Account{a1}, Options{Owner: "i1", PerAccount: 1})
	var wg sync.WaitGroup
	defer wg.Wait()

	// The first instance: its first job starts 20 s into the claim (a slow
	// composition), so its own lease runs past the claim's; the call takes
	// 11 s more, past the claim's 30 s. Before its second job, the second
	// instance looks at the queue.
	a0.Compose = func(a herald.Article, j herald.Job) (herald.Message, error) {
		switch a.Title {
		case titles[0]:
			fx.clock.Advance(20 * time.Second)
		case titles[1]:
			wg.Go(func() {
				if _, err := i1.RunOnce(context.Background()); err != nil {
					t.Error(err)
				}
			})
			select {
			case <-entered:
			case <-time.After(10 * time.Second):
				t.Error("the second instance sent nothing once the first's claim ran out")
			}
		}
		return defaultCompose(a, j)
	}
	p0.before = func(m herald.Message) {
		if strings.HasPrefix(m.Text, titles[0]) {
			fx.clock.Advance(11 * time.Second)
		}
	}
	i0 := fx.dispatcher([]Account{a0}, Options{Owner: "i0", PerAccount: 3, Lease: 30 * time.Second, Timeout: 15 * time.Second})
	fx.runOnce(i0)
	close(release)
	wg.Wait()

	calls.mu.Lock()
	defer calls.mu.Unlock()
	if calls.most != 1 {
		t.Errorf("%d calls for one account in flight at once, want 1", calls.most)
	}
	var began []string
	for _, text := range calls.began {
		title, _, _ := strings.Cut(text, " https://")
		began = append(began, title)
	}
	if !slices.Equal(began, titles) {
		t.Errorf("calls began in the order %q, want publication order %q", began, titles)
	}
}
