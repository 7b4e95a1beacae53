-- The source's own time of the version of an article stored (the webhook's
-- updated_at), NULL when no source gave one: an edit older than it is not
-- applied, so edits arriving out of order never undo a later one.
ALTER TABLE articles ADD COLUMN source_updated_at INTEGER;
