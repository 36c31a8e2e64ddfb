-- Tombstones: what a delete leaves behind (DESIGN.md 3.2). A synced row that was deleted at version v must not come
-- back when an older write (version <= v) is applied in a later transaction: a takeover that re-applies pending
-- entries, or a dead-letter replay. Every upsert the sync worker runs checks this table; a delete raises the version
-- here (forward only). One row per deleted record, keyed by the table and the record's encoded key (KeyEncoding, the
-- same text as in the Redis key and the change entry). Kept longer than any entry could be replayed; deleted_at lets
-- a later retention job prune old tombstones.
CREATE TABLE cistern_tombstone (
    table_name text        NOT NULL,
    record_key text        NOT NULL,
    version    bigint      NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, record_key)
);

CREATE INDEX cistern_tombstone_deleted_at_idx ON cistern_tombstone (deleted_at);
