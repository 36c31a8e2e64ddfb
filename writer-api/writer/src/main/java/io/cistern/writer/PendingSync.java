package io.cistern.writer;

import io.cistern.schema.keys.StreamEntryId;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One caller waiting for a write to be synced: what it waits for, since when, until when, and the future to complete.
 * Immutable; the future is completed once, by whoever decides first.
 */
record PendingSync(
        WriteReceipt receipt,
        StreamEntryId entryId,
        Instant startedAt,
        Instant deadline,
        CompletableFuture<SyncOutcome> future) {}
