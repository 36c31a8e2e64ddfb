package io.cistern.writer;

import io.cistern.schema.codec.Operation;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One write of a batch: an operation on one record.
 *
 * @param op put, patch or delete
 * @param table the registered table
 * @param key the record's primary key
 * @param columns column name to value (Java values or Jackson {@code JsonNode}s); empty for a delete. Key columns may
 *     be repeated here if they equal the key.
 */
public record Write(Operation op, String table, RecordKey key, Map<String, ?> columns) {
    public Write {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        // A copy that keeps insertion order and allows null values (a column set to NULL).
        columns = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(columns, "columns")));
    }

    public static Write put(String table, RecordKey key, Map<String, ?> columns) {
        return new Write(Operation.PUT, table, key, columns);
    }

    public static Write patch(String table, RecordKey key, Map<String, ?> columns) {
        return new Write(Operation.PATCH, table, key, columns);
    }

    public static Write delete(String table, RecordKey key) {
        return new Write(Operation.DELETE, table, key, Map.of());
    }
}
