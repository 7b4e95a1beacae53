-- Alerts open now, one row per cause (an account paused, a post failed,
-- ...): the alert is sent once, when raised, and "recovered" once, when
-- the row goes; instances sharing the database take turns by these rows.
CREATE TABLE alerts (
	cause   TEXT    PRIMARY KEY,
	message TEXT    NOT NULL,
	since   BIGINT  NOT NULL,
	raised  INTEGER NOT NULL DEFAULT 0
);
