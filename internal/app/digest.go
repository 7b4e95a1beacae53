package app

import (
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/digest"
	"github.com/heraldhq/herald/internal/herald"
)

// Digest returns an account's digest as configured.
func Digest(cfg *config.Config, id string) (*digest.Digest, error) {
	acct := cfg.Accounts[id]
	loc, err := accountLocation(id, acct)
	if err != nil {
		return nil, err
	}
	comp, err := Composer(id, acct)
	if err != nil {
		return nil, err
	}
	dc := acct.Digest
	d, err := digest.New(digest.Config{Account: id, Network: herald.Network(acct.Network), Schedule: dc.Schedule,
		Location: loc, Count: dc.Count, By: dc.By, Since: dc.Since, Title: dc.Title, Template: dc.Template,
		Link: comp.TagURL, Fits: func(text string) bool { return comp.Length(text) <= comp.Limit() }})
	if err != nil {
		return nil, configErrorf("accounts.%s.digest.%w", id, err)
	}
	return d, nil
}

// DigestScheduler returns the daemon's digest scheduler over the accounts
// with a digest (with none, it returns at once); created is told when a
// part's job was created.
func DigestScheduler(cfg *config.Config, st herald.Store, created func(), now func() time.Time, logger *slog.Logger) (*digest.Scheduler, error) {
	var ds []*digest.Digest
	for _, id := range AccountIDs(cfg) {
		if cfg.Accounts[id].Digest.Schedule == "" {
			continue
		}
		d, err := Digest(cfg, id)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return digest.NewScheduler(st, ds, digest.SchedulerOptions{Created: created, Now: now}, logger), nil
}
