-- Retention of resolved dead letters (SYNC_DEAD_LETTER_RETENTION_MS, ops/cistern dlq purge): a replayed, superseded
-- or dropped dead letter is kept for a while, then deleted, so that cistern_dead_letter does not grow forever. The
-- purge deletes in bounded chunks the rows resolved before a cutoff (resolved_at < now() - retention); this partial
-- index lets each chunk find them without scanning the table, and leaves the open rows (the working set, indexed by
-- cistern_dead_letter_open_idx) out of it. A plain CREATE INDEX, not CONCURRENTLY: Flyway runs this in a transaction,
-- and CONCURRENTLY under Flyway's lock can hang (flyway/flyway#3682); the build blocks only the inserts and
-- resolutions of dead letters, which are rare, for as long as it takes to index the table (about a second per
-- million rows).
CREATE INDEX cistern_dead_letter_resolved_idx ON cistern_dead_letter (resolved_at) WHERE resolved_at IS NOT NULL;
