-- An article's live posts, for Series (the report's sparklines, the
-- dashboard's charts). Without it, and without planner statistics (PRAGMA
-- optimize does not finish on a large database), SQLite searches jobs_state
-- for every sent job instead: seconds per article at a million articles.
CREATE INDEX jobs_article_live ON jobs (article_id)
	WHERE state = 'sent' AND remote_gone = 0 AND deleted_at IS NULL;
