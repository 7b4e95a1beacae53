package sqlite

import "context"

// ListenJobs returns when ctx is done, never calling fn: the daemon's own
// writers wake its dispatcher directly, and a file is not shared by
// instances on several machines.
func (db *DB) ListenJobs(ctx context.Context, fn func()) error {
	<-ctx.Done()
	return nil
}
