-- The client networks whose click on a short link was counted today: a
-- click is counted once per job, network (/24, /64) and UTC day. Rows of
-- earlier days are removed as clicks come in.
CREATE TABLE click_seen (
    job_id  INTEGER NOT NULL, -- no reference: rows live a day, and store copy truncates jobs
    network TEXT    NOT NULL,
    day     INTEGER NOT NULL, -- Unix milliseconds of the UTC day's start
    PRIMARY KEY (job_id, network, day)
) WITHOUT ROWID;
CREATE INDEX click_seen_day ON click_seen (day);
