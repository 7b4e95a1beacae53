-- Credentials obtained by `herald accounts connect`, one set per account:
-- secrets is a JSON object of secret values by configuration key (encrypted
-- when a secret key is set), public one of the values that are not secret.
-- version increases on every save, so running publishers notice a change.
CREATE TABLE credentials (
	account_id TEXT    PRIMARY KEY,
	network    TEXT    NOT NULL,
	method     TEXT    NOT NULL,
	secrets    TEXT    NOT NULL DEFAULT '{}',
	public     TEXT    NOT NULL DEFAULT '{}',
	expires_at BIGINT,
	updated_at BIGINT  NOT NULL,
	version    BIGINT  NOT NULL
);
