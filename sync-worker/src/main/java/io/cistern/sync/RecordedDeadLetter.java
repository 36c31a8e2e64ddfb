package io.cistern.sync;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An open dead letter as recorded in {@code cistern_dead_letter}, the dead letters' record of truth: not replayed, not
 * dropped. Immutable.
 *
 * @param id its row ID in {@code cistern_dead_letter} (what {@code ops/cistern dlq replay|drop} select by)
 * @param partition the partition
 * @param entryId the stream entry ID of the original change entry (unique per partition)
 * @param reason why it was set aside: {@code "record absent"}, the database's message, or why the entry is malformed
 * @param sqlState the SQLSTATE of the database error, or empty when the database was not asked
 * @param attempts how many times the entry was tried, replays included
 * @param worker who recorded it: a worker ID, or {@code replay:<actor>} after a replay that failed again
 * @param recordedAt when it was recorded
 * @param entry the original change entry's fields exactly as they were on the stream, NUL bytes included
 */
public record RecordedDeadLetter(
        long id,
        int partition,
        String entryId,
        String reason,
        String sqlState,
        int attempts,
        String worker,
        Instant recordedAt,
        Map<String, String> entry)
        implements DeadLetterEntry {

    public RecordedDeadLetter {
        Objects.requireNonNull(entryId, "entryId must not be null");
        Objects.requireNonNull(reason, "reason must not be null");
        Objects.requireNonNull(sqlState, "sqlState must not be null");
        Objects.requireNonNull(worker, "worker must not be null");
        Objects.requireNonNull(recordedAt, "recordedAt must not be null");
        entry = Collections.unmodifiableMap(new LinkedHashMap<>(entry));
    }
}
