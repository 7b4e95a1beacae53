-- Daily digests: a post's reply_to is the remote ID of the post it answers
-- (a thread); digest_parts holds one row per post of an account's digest of
-- a day, whose primary key makes each part exist once across restarts and
-- instances. Part 0 carries the plan: the article IDs of the digest.
ALTER TABLE jobs ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
CREATE TABLE digest_parts (
	account_id TEXT    NOT NULL,
	day        TEXT    NOT NULL, -- the account's local date, YYYY-MM-DD
	part       INTEGER NOT NULL,
	job_id     BIGINT  NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	plan       TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, day, part)
);
