-- Page views for the "Most viewed" ranking. A visitor is a keyed hash of
-- the client's network, the article and the day, under the day's salt; the
-- visitors and salts of past days are deleted, the counts kept.
CREATE TABLE view_salts (
	day  INTEGER PRIMARY KEY,
	salt BLOB    NOT NULL
);
CREATE TABLE view_visitors (
	article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	day        INTEGER NOT NULL,
	visitor    BLOB    NOT NULL,
	PRIMARY KEY (article_id, day, visitor)
) WITHOUT ROWID;
CREATE INDEX view_visitors_day ON view_visitors (day);
CREATE TABLE view_counts (
	article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	day        INTEGER NOT NULL,
	views      INTEGER NOT NULL,
	PRIMARY KEY (article_id, day)
) WITHOUT ROWID;
