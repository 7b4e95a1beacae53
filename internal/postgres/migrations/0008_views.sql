-- Page views for the "Most viewed" ranking. A visitor is a keyed hash of
-- the client's network, the article and the day, under the day's salt; the
-- visitors and salts of past days are deleted, the counts kept.
CREATE TABLE view_salts (
	day  BIGINT  PRIMARY KEY,
	salt BYTEA   NOT NULL
);
CREATE TABLE view_visitors (
	article_id BIGINT  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	day        BIGINT  NOT NULL,
	visitor    BYTEA   NOT NULL,
	PRIMARY KEY (article_id, day, visitor)
);
CREATE INDEX view_visitors_day ON view_visitors (day);
CREATE TABLE view_counts (
	article_id BIGINT  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	day        BIGINT  NOT NULL,
	views      BIGINT  NOT NULL,
	PRIMARY KEY (article_id, day)
);
