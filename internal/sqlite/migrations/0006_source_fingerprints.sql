-- The fingerprints of the items of the feed body last recorded for a source
-- (an encoding the feed poller owns), so that the next body's known items
-- are not parsed again, after a restart too.
CREATE TABLE source_fingerprints (
	source_id INTEGER PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
	data      BLOB    NOT NULL
);
