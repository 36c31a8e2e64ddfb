/**
 * The sync worker: drains the partition streams into PostgreSQL (DESIGN.md 3.3). {@link io.cistern.sync.SyncWorker}
 * and {@link io.cistern.sync.SyncSettings} are the public surface, with {@link io.cistern.sync.DeadLetterReplayer}
 * (list, show, replay and drop dead letters, for the ops CLI; their record of truth is the PostgreSQL table {@code
 * cistern_dead_letter}, written by {@code DeadLetterRows} in each batch's fenced transaction) and its value types
 * {@link io.cistern.sync.RecordedDeadLetter}, {@link io.cistern.sync.OpenDeadLetter}, {@link
 * io.cistern.sync.DeadLetterFilter} and {@link io.cistern.sync.DeadLetterOutcome}, {@link
 * io.cistern.sync.DeadLetterRetention} (deletes resolved dead letters past their retention: the worker on a schedule,
 * {@code ops/cistern dlq purge} by hand), and {@link io.cistern.sync.PartitionControl} (pause and resume a partition, and
 * the meta hash fields operators read: pause, applied watermark, last takeover); everything else is package-private.
 *
 * <p>Pure cores, no threads and no I/O: {@code Coalescer} (one key's entries to at most two row operations), {@code
 * BatchPlanner} (decoding, coalescing, foreign-key and primary-key order), {@code SqlFailureTranslator} (the one
 * classification of SQLSTATEs), {@code PartitionShare} (a worker's fair share of the partitions and which it gives
 * up), {@code TrimPoint} (how far a stream may be trimmed); retry delays come from {@link
 * io.cistern.connections.Backoff}, the one backoff policy of Cistern. Drivers: {@code BatchApplier} (one fenced
 * transaction per batch, set-based statements from {@code RowStatements}, bisection of poison entries under
 * savepoints, the watermark; each entry reported applied, superseded or dead-lettered), {@code PartitionLoop} (one thread and one Redis connection per owned partition; the one
 * retry loop; after each commit, {@code BatchAcknowledgement}; the next batch read ahead while one commits; every
 * {@code trimInterval}, {@code
 * StreamTrimmer}; before every read, {@code PauseGate}) and {@code SyncWorker} (heartbeat, even spread, leases on their own thread and connection, fencing
 * tokens from {@code FenceTokens}, re-seeding after Redis lost its data, the dead-letter retention on its own
 * thread).
 *
 * <h2>What the worker keeps in Redis besides the streams</h2>
 *
 * <ul>
 *   <li><b>Applied watermark</b>: field {@code applied} of the partition meta hash {@code {prefix}:{p}:m}, a stream
 *       entry ID. Every entry of the partition stream up to it is applied to PostgreSQL (committed) or dead-lettered.
 *       Written after each batch's commit and {@code XACK}, forward only (IDs compared as numbers, in one script), so
 *       a flush barrier completes for a write once {@code applied >= the write's entry ID}. Absent until the first
 *       batch after a start or after Redis lost its data. PostgreSQL's {@code cistern_partition.applied_watermark}
 *       is the durable copy.
 *   <li><b>Last error</b>: fields {@code last_error} and {@code last_error_at} of the same meta hash: why the
 *       partition's last batch attempt failed (one line of at most 300 characters, as the failure taxonomy classifies
 *       it: {@code CONNECTION (SQLSTATE 08006): ...}; credentials in a URL and {@code password=} values masked) and when
 *       (epoch ms, the worker's clock). Written by {@code ApplyErrorReport} at each failed attempt, removed at the next
 *       commit; absent while batches commit. Read by operators: readiness and the dashboard name it when the partition
 *       stalls.
 *   <li><b>Keys with an open dead letter</b>: the set {@code {prefix}:{p}:dlqkeys} of record hash keys; their hashes
 *       never get a TTL. A key is added in the same script that appends its dead letter; {@code DeadLetterReplayer}
 *       removes it, in the same script that removes a resolved (replayed or dropped) dead letter, once no other dead
 *       letter of the key is left on the stream; a hash still at the resolved letter's version then gets its TTL
 *       (replayed) or is deleted (dropped: it holds a write PostgreSQL never got).
 *   <li><b>Dead-letter notices</b>: the stream {@code {prefix}:{p}:dlq}, one entry per dead letter appended just
 *       before the batch's commit, for {@code wait=synced} and services without a database; not the record (a commit
 *       that fails after the append leaves a notice that a retry appends again). Counts and lists read {@code
 *       cistern_dead_letter} ({@link io.cistern.sync.DeadLetterTable}).
 *   <li><b>Live workers</b>: the sorted set {@code {prefix}:workers}, worker ID scored with the Redis time (ms) its
 *       heartbeat expires; used to compute each worker's fair share of the partitions.
 *   <li><b>Leases</b>: {@code {prefix}:{p}:lease}, the owning worker's ID with a TTL of one lease time.
 * </ul>
 */
package io.cistern.sync;
