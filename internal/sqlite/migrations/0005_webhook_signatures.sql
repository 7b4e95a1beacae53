-- Signatures of accepted webhook requests, until their timestamp's window
-- ends: a signed request is accepted once.
CREATE TABLE webhook_signatures (
    sig   TEXT    NOT NULL PRIMARY KEY,
    until INTEGER NOT NULL -- Unix milliseconds
) WITHOUT ROWID;
CREATE INDEX webhook_signatures_until ON webhook_signatures (until);
