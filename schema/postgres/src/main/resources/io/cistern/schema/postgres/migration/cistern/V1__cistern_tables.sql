-- Cistern's own tables. The sync worker is their only writer after init.

-- Settings fixed when Cistern is initialised (the partition count).
CREATE TABLE cistern_settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- One row per partition: the fencing token that makes one owner per partition (issued here, so losing Redis data
-- never reissues an old token), the version floor (every version ever applied in the partition is at or below it;
-- re-seeds the Function library after Redis loses its data), and the applied watermark (every entry up to this
-- stream ID is applied or dead-lettered).
CREATE TABLE cistern_partition (
    partition         integer PRIMARY KEY CHECK (partition >= 0),
    fence_token       bigint  NOT NULL DEFAULT 0,
    version_floor     bigint  NOT NULL DEFAULT 0,
    applied_watermark text    NOT NULL DEFAULT '0-0',
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The tables Cistern syncs. Columns, keys and types are read from the catalog; this records what the catalog cannot
-- say: that the table is synced, and how many leading primary-key columns route its records to a partition.
CREATE TABLE cistern_table (
    table_name      text PRIMARY KEY,
    routing_columns integer NOT NULL DEFAULT 1 CHECK (routing_columns >= 1),
    registered_at   timestamptz NOT NULL DEFAULT now()
);
