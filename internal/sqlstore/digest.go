package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// CreateDigestPart creates a digest part's job and its digest_parts row in
// one transaction; ErrConflict when the part exists.
func (s *Store) CreateDigestPart(ctx context.Context, p herald.DigestPart, now time.Time) (herald.Job, error) {
	plan := make([]string, len(p.Plan))
	for i, id := range p.Plan {
		plan[i] = strconv.FormatInt(id, 10)
	}
	var j herald.Job
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM digest_parts WHERE account_id = ? AND day = ? AND part = ?`,
			p.Account, p.Day, p.Part).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: part %d of the digest of %s for %s exists", herald.ErrConflict, p.Part, p.Day, p.Account)
		}
		id, err := s.insertNextJob(ctx, q, JobRow{ArticleID: p.ArticleID, Account: p.Account, Kind: herald.KindDigest,
			Text: p.Text, ReplyTo: p.ReplyTo, Due: now, Now: now})
		if err != nil {
			return err
		}
		// A part another instance inserted first fails here on the key.
		if _, err := q.Exec(ctx, `INSERT INTO digest_parts (account_id, day, part, job_id, plan) VALUES (?, ?, ?, ?, ?)`,
			p.Account, p.Day, p.Part, id, strings.Join(plan, ",")); err != nil {
			return err
		}
		if j, err = s.getJob(ctx, q, id); err != nil {
			return err
		}
		return s.notify(ctx, q)
	})
	return j, s.wrap("create digest part", err)
}

// DigestJobs returns the parts of an account's digest of a day with their
// jobs, in order.
func (s *Store) DigestJobs(ctx context.Context, account, day string) ([]herald.DigestJob, error) {
	var out []herald.DigestJob
	err := s.b.Read(ctx, func(q Querier) error {
		rows, err := q.Query(ctx, `SELECT part, plan, job_id FROM digest_parts WHERE account_id = ? AND day = ? ORDER BY part`,
			account, day)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var d herald.DigestJob
			var plan string
			var id int64
			if err := rows.Scan(&d.Part, &plan, &id); err != nil {
				rows.Close()
				return err
			}
			for _, f := range strings.Split(plan, ",") {
				if v, err := strconv.ParseInt(f, 10, 64); err == nil {
					d.Plan = append(d.Plan, v)
				}
			}
			out = append(out, d)
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range ids {
			if out[i].Job, err = s.getJob(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("digest of %s for %s", day, account), err)
	}
	return out, nil
}
