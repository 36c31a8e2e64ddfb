/**
 * The sync worker: drains the partition streams into PostgreSQL with leases and fencing tokens, batching and
 * coalescing per key, version-guarded upserts, retry classification and the dead-letter stream (DESIGN.md 3.3).
 *
 * <p>Not built yet: issue 4 delivers it. Until then, entries written through {@code RecordWriter} wait on the
 * partition streams.
 */
package io.cistern.sync;
