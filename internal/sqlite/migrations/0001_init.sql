-- Herald's schema. Times are INTEGER milliseconds since the Unix epoch (UTC);
-- NULL stands for "never" / "unknown".

CREATE TABLE sources (
	id               INTEGER PRIMARY KEY,
	name             TEXT    NOT NULL UNIQUE,
	url              TEXT    NOT NULL DEFAULT '',
	push_only        INTEGER NOT NULL DEFAULT 0, -- the CMS webhook: never polled
	active           INTEGER NOT NULL DEFAULT 1, -- 0: no longer configured
	etag             TEXT    NOT NULL DEFAULT '',
	last_modified    TEXT    NOT NULL DEFAULT '',
	seeded           INTEGER NOT NULL DEFAULT 0,
	last_polled_at   INTEGER,
	next_poll_at     INTEGER,
	last_status      INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT    NOT NULL DEFAULT '',
	failures         INTEGER NOT NULL DEFAULT 0,
	hub_url          TEXT    NOT NULL DEFAULT '',
	push_state       TEXT    NOT NULL DEFAULT '',
	push_secret      TEXT    NOT NULL DEFAULT '',
	push_lease_until INTEGER,
	claimed_by       TEXT    NOT NULL DEFAULT '',
	lease_until      INTEGER,
	article_count    INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL
);
CREATE INDEX sources_due ON sources (next_poll_at) WHERE active = 1 AND push_only = 0;

CREATE TABLE articles (
	id            INTEGER PRIMARY KEY,
	url           TEXT    NOT NULL UNIQUE, -- canonical
	guid          TEXT    NOT NULL DEFAULT '',
	title         TEXT    NOT NULL DEFAULT '',
	summary       TEXT    NOT NULL DEFAULT '',
	author        TEXT    NOT NULL DEFAULT '',
	image_url     TEXT    NOT NULL DEFAULT '',
	categories    TEXT    NOT NULL DEFAULT '[]', -- JSON array
	section       TEXT    NOT NULL DEFAULT '',   -- name of the first source
	published_at  INTEGER NOT NULL,
	first_seen_at INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	stale         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_published ON articles (published_at);
CREATE INDEX articles_first_seen ON articles (first_seen_at);

-- Earlier canonical URLs of articles whose URL changed (matched by GUID), so
-- a feed still carrying the old URL finds the same article.
CREATE TABLE article_urls (
	url        TEXT    PRIMARY KEY,
	article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX article_urls_article ON article_urls (article_id);

CREATE TABLE article_sources (
	article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
	source_id     INTEGER NOT NULL REFERENCES sources (id),
	guid          TEXT    NOT NULL DEFAULT '', -- the item's GUID in this source
	first_seen_at INTEGER NOT NULL,
	PRIMARY KEY (article_id, source_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX article_sources_guid ON article_sources (source_id, guid) WHERE guid <> '';
CREATE INDEX article_sources_source ON article_sources (source_id, article_id);

CREATE TABLE accounts (
	id               TEXT    PRIMARY KEY,
	network          TEXT    NOT NULL DEFAULT '',
	paused           INTEGER NOT NULL DEFAULT 0,
	pause_reason     TEXT    NOT NULL DEFAULT '',
	hold_until       INTEGER,
	hold_reason      TEXT    NOT NULL DEFAULT '', -- last_sent_at: max(jobs.sent_at) by jobs_sent
	token_expires_at INTEGER,
	oauth_access     TEXT    NOT NULL DEFAULT '',
	oauth_refresh    TEXT    NOT NULL DEFAULT '',
	oauth_expiry     INTEGER,
	created_at       INTEGER NOT NULL
);

CREATE TABLE jobs (
	id                 INTEGER PRIMARY KEY,
	article_id         INTEGER NOT NULL REFERENCES articles (id),
	account_id         TEXT    NOT NULL REFERENCES accounts (id),
	network            TEXT    NOT NULL DEFAULT '', -- the account's
	seq                INTEGER NOT NULL,
	kind               TEXT    NOT NULL,
	state              TEXT    NOT NULL,
	priority           INTEGER NOT NULL DEFAULT 0,
	published_at       INTEGER NOT NULL, -- the article's: claim order and the report
	template           TEXT    NOT NULL DEFAULT '',
	text               TEXT    NOT NULL DEFAULT '',
	scheduled_at       INTEGER NOT NULL,
	next_attempt_at    INTEGER NOT NULL,
	attempts           INTEGER NOT NULL DEFAULT 0,
	attempt_started_at INTEGER,
	last_error         TEXT    NOT NULL DEFAULT '',
	error_kind         TEXT    NOT NULL DEFAULT '',
	skip_reason        TEXT    NOT NULL DEFAULT '',
	sent_text          TEXT    NOT NULL DEFAULT '',
	remote_id          TEXT    NOT NULL DEFAULT '',
	permalink          TEXT    NOT NULL DEFAULT '',
	sent_at            INTEGER,
	deleted_at         INTEGER,
	remote_gone        INTEGER NOT NULL DEFAULT 0,
	short_code         TEXT    NOT NULL UNIQUE,
	clicks             INTEGER NOT NULL DEFAULT 0,
	-- the latest engagement reading, so totals need no snapshot scan
	retweets           INTEGER NOT NULL DEFAULT 0,
	quotes             INTEGER NOT NULL DEFAULT 0,
	likes              INTEGER NOT NULL DEFAULT 0,
	replies            INTEGER NOT NULL DEFAULT 0,
	impressions        INTEGER NOT NULL DEFAULT 0,
	bookmarks          INTEGER NOT NULL DEFAULT 0,
	shares             INTEGER NOT NULL DEFAULT 0,
	reactions          INTEGER NOT NULL DEFAULT 0,
	comments           INTEGER NOT NULL DEFAULT 0,
	last_collected_at  INTEGER,
	claimed_by         TEXT    NOT NULL DEFAULT '',
	lease_until        INTEGER,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	UNIQUE (article_id, account_id, seq)
);
-- Every index on jobs costs a page write on most state changes, so there are
-- few. Claims walk an account's pending jobs in dispatch order (NextDue and
-- the pending counts read it too).
CREATE INDEX jobs_pending ON jobs (account_id, priority DESC, published_at, id, next_attempt_at, lease_until)
	WHERE state = 'pending';
CREATE INDEX jobs_state ON jobs (state, account_id);
-- Daily caps, and where the posts to collect begin.
CREATE INDEX jobs_sent ON jobs (account_id, sent_at) WHERE state = 'sent';
-- The posts to collect, paged by job ID.
CREATE INDEX jobs_live ON jobs (id, sent_at) WHERE state = 'sent' AND remote_gone = 0 AND deleted_at IS NULL;
CREATE INDEX jobs_remote ON jobs (remote_id) WHERE remote_id <> '';
CREATE INDEX jobs_permalink ON jobs (permalink) WHERE permalink <> '';
-- The report reads live posts of a publication window from this index alone
-- (the last three columns only so that it covers the query).
CREATE INDEX jobs_report ON jobs (published_at, article_id, network,
	retweets, quotes, likes, replies, impressions, shares, reactions, comments, clicks,
	state, remote_gone, deleted_at)
	WHERE state = 'sent' AND remote_gone = 0 AND deleted_at IS NULL;

CREATE TABLE attempts (
	job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	n           INTEGER NOT NULL, -- 1, 2, ... per job (a retry by hand goes on counting)
	owner       TEXT    NOT NULL DEFAULT '',
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	outcome     TEXT    NOT NULL DEFAULT '', -- a job state, or an error kind
	error       TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (job_id, n)
) WITHOUT ROWID;

CREATE TABLE snapshots (
	job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	at          INTEGER NOT NULL,
	retweets    INTEGER NOT NULL DEFAULT 0,
	quotes      INTEGER NOT NULL DEFAULT 0,
	likes       INTEGER NOT NULL DEFAULT 0,
	replies     INTEGER NOT NULL DEFAULT 0,
	impressions INTEGER NOT NULL DEFAULT 0,
	bookmarks   INTEGER NOT NULL DEFAULT 0,
	shares      INTEGER NOT NULL DEFAULT 0,
	reactions   INTEGER NOT NULL DEFAULT 0,
	comments    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (job_id, at)
) WITHOUT ROWID;

-- Short-link clicks per post and hour, for trending by clicks.
CREATE TABLE click_counts (
	job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	hour   INTEGER NOT NULL, -- unix milliseconds of the hour's start
	n      INTEGER NOT NULL,
	PRIMARY KEY (job_id, hour)
) WITHOUT ROWID;

CREATE TABLE charges (
	id         INTEGER PRIMARY KEY,
	account_id TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	remote_id  TEXT    NOT NULL DEFAULT '',
	day        INTEGER NOT NULL, -- UTC day: unix milliseconds / 86400000
	amount     INTEGER NOT NULL, -- millionths of a dollar
	at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX charges_read_once ON charges (account_id, remote_id, day)
	WHERE kind = 'read' AND remote_id <> '';
CREATE INDEX charges_account ON charges (account_id, at);

CREATE TABLE locks (
	name  TEXT    PRIMARY KEY,
	owner TEXT    NOT NULL,
	until INTEGER NOT NULL
) WITHOUT ROWID;
