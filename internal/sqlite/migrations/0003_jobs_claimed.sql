-- The jobs claimed at this moment, by account: a claim for an account with
-- spacing is refused while one of its jobs is claimed under a live lease (a
-- call may be in flight), so two instances never send for it at once. Few
-- jobs are claimed at any time, so the index stays small.
CREATE INDEX jobs_claimed ON jobs (account_id, lease_until) WHERE claimed_by <> '';
