package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. A commit costs a WAL append of every page the transaction
// dirtied, and on one write connection commits are serial, so callers that
// write at the same moment (32 polls finishing, 8 sends recording their
// outcome) share one transaction: each caller's work runs inside its own
// SAVEPOINT, so a failing one is rolled back alone, and every caller returns
// only once the shared transaction has committed (or failed). The first
// caller to find the writer idle leads: it runs the queue as one batch, then
// hands the lead to the next waiter, so no goroutine outlives a call.
//
// With synchronous(FULL) a commit also waits for the disk, which a batch
// pays once. A batch of writes that may be lost in a crash (writeAsync)
// commits with synchronous(NORMAL): it waits for no disk, and the WAL is
// appended in order, so the next FULL commit makes it durable too. Kept for the dispatch throughput figure of the README:
// `go test -run '^$' -bench Throughput -benchtime 4000x ./internal/dispatch`
// and `herald-bench --scenario dispatch` (with this file and stmtcache.go,
// 1,646 jobs/s against 897 jobs/s without them, on the 2-core machine).

// maxBatch bounds the writes that share one transaction, and so the wait of
// the last of them.
const maxBatch = 64

// errLead tells a queued write that it leads the next batch.
var errLead = errors.New("sqlite: lead the next write batch")

// writeReq is one caller's write transaction body.
type writeReq struct {
	ctx   context.Context
	fn    func(tx *txn) error
	async bool       // may commit without waiting for the disk
	done  chan error // the outcome, or errLead
}

// writer queues the writes of one DB.
type writer struct {
	mu    sync.Mutex
	busy  bool // a leader is running a batch
	queue []*writeReq
	// shared counts the writes that ran in a transaction with others.
	shared atomic.Int64
	// normal: the write connection was last set to synchronous(NORMAL).
	// Only the batch leader reads or sets it. A connection opened anew
	// starts FULL (the DSN), so a stale true errs on the durable side.
	normal bool
	// batches counts the batches run, for fitWriteCache; the leader's.
	batches int
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single write
// connection), possibly shared with other callers' writes, and returns once
// fn's work is committed; fn's error (its work rolled back) otherwise.
func (db *DB) write(ctx context.Context, fn func(tx *txn) error) error {
	return db.enqueue(&writeReq{ctx: ctx, fn: fn})
}

// writeAsync is write for changes whose loss in an OS crash or power loss
// reconciliation makes good (a claim, a job's outcome, a replay record
// followed by the articles' own commit): it returns once committed, without
// waiting for the disk. The next durable commit syncs it as well.
func (db *DB) writeAsync(ctx context.Context, fn func(tx *txn) error) error {
	return db.enqueue(&writeReq{ctx: ctx, fn: fn, async: true})
}

func (db *DB) enqueue(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	r.done = make(chan error, 1)
	w := &db.wq
	w.mu.Lock()
	w.queue = append(w.queue, r)
	lead := !w.busy
	w.busy = true
	w.mu.Unlock()
	if !lead {
		if err := <-r.done; err != errLead {
			return err
		}
	}
	w.mu.Lock()
	n := min(len(w.queue), maxBatch)
	batch := w.queue[:n:n]
	w.queue = w.queue[n:]
	w.mu.Unlock()

	db.runBatch(batch)

	w.mu.Lock()
	if len(w.queue) > 0 {
		w.queue[0].done <- errLead
	} else {
		w.busy, w.queue = false, nil
	}
	w.mu.Unlock()
	return <-r.done
}

// runBatch runs the writes of batch in one transaction and tells each its
// outcome. A lone write runs without a savepoint.
func (db *DB) runBatch(batch []*writeReq) {
	// The transaction outlives any one caller's context: a caller that gives
	// up must not roll back the others' work.
	ctx := context.WithoutCancel(batch[0].ctx)
	err := db.syncFor(ctx, batch)
	var tx *sql.Tx
	if err == nil {
		tx, err = db.w.BeginTx(ctx, nil)
	}
	var t *txn
	if err == nil {
		t = &txn{Tx: tx, cache: db.w.cache}
		if err = db.fitWriteCache(ctx, t); err != nil {
			tx.Rollback()
		}
	}
	if err != nil {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	results := make([]error, len(batch))
	alone := len(batch) == 1
	if !alone {
		db.wq.shared.Add(int64(len(batch)))
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if alone {
			results[i] = r.fn(t)
			if results[i] != nil {
				tx.Rollback()
				r.done <- results[i]
				return
			}
			continue
		}
		if err := db.runSaved(ctx, t, r.fn); err != nil {
			results[i] = err
			var abort abortError
			if errors.As(err, &abort) {
				// The transaction is gone: nothing of the batch is written.
				tx.Rollback()
				for j, r := range batch {
					if results[j] == nil || j == i {
						results[j] = fmt.Errorf("sqlite: write batch rolled back: %w", abort.err)
					}
					r.done <- results[j]
				}
				return
			}
		}
	}
	err = tx.Commit()
	t.prepareMissed(ctx)
	for i, r := range batch {
		if results[i] == nil {
			results[i] = err
		}
		r.done <- results[i]
	}
}

// syncFor sets the write connection's synchronous level for batch: NORMAL
// when every write of it may be lost in a crash, FULL otherwise. The level
// cannot change inside a transaction, so it is set before BEGIN.
func (db *DB) syncFor(ctx context.Context, batch []*writeReq) error {
	normal := true
	for _, r := range batch {
		normal = normal && r.async
	}
	if normal == db.wq.normal {
		return nil
	}
	level := "FULL"
	if normal {
		level = "NORMAL"
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA synchronous = "+level); err != nil {
		return fmt.Errorf("sqlite: synchronous(%s): %w", level, err)
	}
	db.wq.normal = normal
	return nil
}

// abortError is a failure that rolled back the whole shared transaction.
type abortError struct{ err error }

func (e abortError) Error() string { return e.err.Error() }

// runSaved runs fn inside a savepoint and rolls back to it when fn fails.
func (db *DB) runSaved(ctx context.Context, t *txn, fn func(tx *txn) error) error {
	if _, err := t.ExecContext(ctx, `SAVEPOINT w`); err != nil {
		return abortError{err}
	}
	if err := fn(t); err != nil {
		if _, rerr := t.ExecContext(ctx, `ROLLBACK TO w`); rerr != nil {
			return abortError{errors.Join(err, rerr)}
		}
		if _, rerr := t.ExecContext(ctx, `RELEASE w`); rerr != nil {
			return abortError{errors.Join(err, rerr)}
		}
		return err
	}
	if _, err := t.ExecContext(ctx, `RELEASE w`); err != nil {
		return abortError{err}
	}
	return nil
}
