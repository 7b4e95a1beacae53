-- The job last claimed for an account with spacing: no other job of that
-- account is claimed while this one is claimed under a live lease (its call
-- may be in flight), so two processes never send for it at once.
ALTER TABLE accounts ADD COLUMN claim_job INTEGER;
