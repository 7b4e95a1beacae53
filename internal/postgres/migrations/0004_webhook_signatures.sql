-- Signatures of accepted webhook requests, until their timestamp's window
-- ends: a signed request is accepted once, by whichever instance gets it.
CREATE TABLE webhook_signatures (
    sig   TEXT   NOT NULL PRIMARY KEY,
    until BIGINT NOT NULL -- Unix milliseconds
);
CREATE INDEX webhook_signatures_until ON webhook_signatures (until);
