package io.cistern.sync;

import io.cistern.schema.wire.DeadLetterFields;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A dead letter still on its partition's dead-letter stream: not replayed, not dropped. Immutable.
 *
 * @param id its ID on the dead-letter stream (what {@link DeadLetterReplayer} selects by); the time it was recorded
 * @param partition the partition
 * @param entryId the stream entry ID of the original change entry
 * @param reason why it was set aside: {@code "record absent"}, the database's message, or why the entry is malformed
 * @param sqlState the SQLSTATE of the database error, or empty when the database was not asked
 * @param attempts how many times the entry was tried, replays included
 * @param worker who recorded it: a worker ID, or {@code replay:<actor>} after a replay that failed again
 * @param entry the original change entry's fields, exactly as on the partition stream ({@code t}, {@code k}, {@code
 *     o}, {@code v}, {@code c:<column>})
 */
public record OpenDeadLetter(
        String id,
        int partition,
        String entryId,
        String reason,
        String sqlState,
        int attempts,
        String worker,
        Map<String, String> entry)
        implements DeadLetterEntry {

    public OpenDeadLetter {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(entryId, "entryId must not be null");
        Objects.requireNonNull(reason, "reason must not be null");
        Objects.requireNonNull(sqlState, "sqlState must not be null");
        Objects.requireNonNull(worker, "worker must not be null");
        entry = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entry));
    }

    /** When it was recorded, from its ID on the dead-letter stream. */
    public Instant recordedAt() {
        return Instant.ofEpochMilli(StreamIds.millis(id));
    }

    /** Reads an entry of the dead-letter stream ({@link DeadLetterStream} wrote it): its ID there and its fields. */
    public static OpenDeadLetter fromStream(int partition, String id, Map<String, String> body) {
        Map<String, String> entry = new LinkedHashMap<>(body);
        String reason = Objects.requireNonNullElse(entry.remove(DeadLetterFields.REASON), "");
        String sqlState = Objects.requireNonNullElse(entry.remove(DeadLetterFields.SQLSTATE), "");
        String attempts = entry.remove(DeadLetterFields.ATTEMPTS);
        String entryId = Objects.requireNonNullElse(entry.remove(DeadLetterFields.ENTRY_ID), "");
        entry.remove(DeadLetterFields.PARTITION);
        String worker = Objects.requireNonNullElse(entry.remove(DeadLetterFields.WORKER), "");
        int tries;
        try {
            tries = attempts == null ? 0 : Integer.parseInt(attempts);
        } catch (NumberFormatException e) {
            tries = 0;
        }
        return new OpenDeadLetter(id, partition, entryId, reason, sqlState, tries, worker, entry);
    }
}
