/**
 * The sync worker: drains the partition streams into PostgreSQL (DESIGN.md 3.3). {@link io.cistern.sync.SyncWorker}
 * and {@link io.cistern.sync.SyncSettings} are the public surface; everything else is package-private.
 *
 * <p>Pure cores, no threads and no I/O: {@code Coalescer} (one key's entries to at most two row operations), {@code
 * BatchPlanner} (decoding, coalescing, foreign-key and primary-key order), {@code SqlFailureTranslator} (the one
 * classification of SQLSTATEs); retry delays come from {@link io.cistern.connections.Backoff}, the one backoff policy
 * of Cistern. Drivers: {@code BatchApplier} (one fenced transaction per batch,
 * set-based statements from {@code RowStatements}, bisection of poison entries under savepoints, the watermark),
 * {@code PartitionLoop} (one thread and one Redis connection per owned partition; the one retry loop) and {@code
 * SyncWorker} (leases on their own thread and connection, fencing tokens from {@code FenceTokens}).
 */
package io.cistern.sync;
