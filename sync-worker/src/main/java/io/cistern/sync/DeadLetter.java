package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A change entry that cannot be applied, ever, as it is: bound for {@code cistern_dead_letter} (its record of truth,
 * {@link DeadLetterRows}) and its partition's dead-letter stream. Immutable.
 *
 * @param entryId the stream entry ID of the original entry
 * @param fields the original entry's fields, exactly as on the stream, so it can be replayed
 * @param reason why, for a person: {@code "record absent"}, or the database's message
 * @param sqlState the SQLSTATE of the database error, or empty when the database was not asked
 * @param attempts how many times the batch holding the entry was tried before the entry was set aside
 */
record DeadLetter(String entryId, Map<String, String> fields, String reason, String sqlState, int attempts) {
    static final String RECORD_ABSENT = "record absent";

    DeadLetter {
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(sqlState, "sqlState");
        fields = Map.copyOf(fields);
    }

    static DeadLetter of(ChangeEntry entry, String reason, String sqlState, int attempts) {
        return new DeadLetter(entry.id(), fieldsOf(entry), reason, sqlState, attempts);
    }

    /** The entry's fields as they stand on the stream (see {@link ChangeEntry}). */
    static Map<String, String> fieldsOf(ChangeEntry entry) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(ChangeEntry.TABLE, entry.table());
        fields.put(ChangeEntry.KEY, entry.key());
        fields.put(ChangeEntry.OP, entry.op().wire());
        fields.put(ChangeEntry.VERSION, Long.toString(entry.version()));
        entry.columns().forEach((c, v) -> fields.put(ChangeEntry.COLUMN_PREFIX + c, v));
        return fields;
    }
}
