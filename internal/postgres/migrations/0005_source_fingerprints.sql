-- The fingerprints of the items of the feed body last recorded for a source
-- (an encoding the feed poller owns), so that the next body's known items
-- are not parsed again, after a restart or on another instance.
CREATE TABLE source_fingerprints (
	source_id BIGINT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
	data      BYTEA  NOT NULL
);
