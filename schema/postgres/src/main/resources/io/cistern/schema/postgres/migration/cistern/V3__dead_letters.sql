-- Dead letters: the change entries a batch could not apply, ever, as they are (DESIGN.md 3.3), kept in PostgreSQL,
-- the record of truth (a Redis that loses its data must not lose the only copy of a write PostgreSQL refused). The
-- sync worker inserts them in the batch's own fenced transaction, after bisection settled which entries are poison and
-- before the fence update, with ON CONFLICT (partition, entry_id) DO NOTHING: a retried batch (its commit or its
-- acknowledgement lost) adds none twice. The entry itself is kept as bytea (its fields, encoded by the worker) so that
-- a value PostgreSQL refuses in text, a NUL byte, is still kept; table_name, record_key, op and version repeat it for
-- filtering (null for a malformed entry that lacks them). A replay or a drop resolves a row (resolved_at, resolution:
-- replayed, dropped or superseded); open rows have resolved_at null.
CREATE TABLE cistern_dead_letter (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition   integer     NOT NULL,
    entry_id    text        NOT NULL,
    table_name  text,
    record_key  text,
    op          text,
    version     bigint,
    entry       bytea       NOT NULL,
    reason      text        NOT NULL,
    sqlstate    text        NOT NULL DEFAULT '',
    attempts    integer     NOT NULL,
    worker      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolution  text CHECK (resolution IN ('replayed', 'dropped', 'superseded')),
    CONSTRAINT cistern_dead_letter_entry_uq UNIQUE (partition, entry_id),
    CONSTRAINT cistern_dead_letter_resolved_ck CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);

CREATE INDEX cistern_dead_letter_open_idx ON cistern_dead_letter (created_at) WHERE resolved_at IS NULL;
