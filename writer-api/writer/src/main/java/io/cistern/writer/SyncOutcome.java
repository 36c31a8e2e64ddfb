package io.cistern.writer;

import java.time.Duration;
import java.util.Objects;

/**
 * A write that is synced: its partition's applied watermark is at or past its change entry, and the entry was not
 * dead-lettered. See {@link RecordWriter#awaitSyncedAsync} for what that guarantees about PostgreSQL.
 *
 * @param receipt the receipt that was awaited
 * @param appliedWatermark the partition's applied watermark that covered the entry (a stream entry ID at or after
 *     {@link WriteReceipt#entryId()})
 * @param waited how long the wait took, from the call to the answer
 */
public record SyncOutcome(WriteReceipt receipt, String appliedWatermark, Duration waited) {
    public SyncOutcome {
        Objects.requireNonNull(receipt, "receipt must not be null");
        Objects.requireNonNull(appliedWatermark, "appliedWatermark must not be null");
        Objects.requireNonNull(waited, "waited must not be null");
    }
}
