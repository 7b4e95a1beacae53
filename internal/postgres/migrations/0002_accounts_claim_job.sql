-- The job last claimed for an account with spacing: no other job of that
-- account is claimed while this one is claimed under a live lease (its call
-- may be in flight), so two instances never send for it at once. Checked by
-- the job's primary key, so claims need no index on claimed_by and stay
-- cheap (an update that changes no indexed column can stay on its page).
ALTER TABLE accounts ADD COLUMN claim_job BIGINT;
-- Room on each page for a job's next row version: a claim changes no
-- indexed column, so with room it is a heap-only update.
ALTER TABLE jobs SET (fillfactor = 80);
