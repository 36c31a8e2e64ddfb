package io.cistern.schema.codec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One change entry as it stands on a partition stream. On the wire (stream entry fields):
 *
 * <pre>
 * t   table name
 * k   encoded primary key (see KeyEncoding)
 * o   put | patch | delete
 * v   version, a decimal integer, strictly increasing per key
 * c:{column}   the column's canonical JSON value (put and patch only)
 * </pre>
 *
 * The entry ID's millisecond part is the write time.
 *
 * @param id the stream entry ID, for example {@code 1732345303123-0}
 * @param columns column name to canonical JSON text, in write order
 */
public record ChangeEntry(
        String id, String table, String key, Operation op, long version, Map<String, String> columns) {
    public static final String TABLE = "t";
    public static final String KEY = "k";
    public static final String OP = "o";
    public static final String VERSION = "v";
    public static final String COLUMN_PREFIX = "c:";

    public ChangeEntry {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(op, "op");
        columns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }

    /**
     * Decodes a stream entry's fields.
     *
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static ChangeEntry fromFields(String id, Map<String, String> fields) {
        Map<String, String> columns = new LinkedHashMap<>();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (f.getKey().startsWith(COLUMN_PREFIX)) {
                columns.put(f.getKey().substring(COLUMN_PREFIX.length()), f.getValue());
            }
        }
        String version = require(id, fields, VERSION);
        long v;
        try {
            v = Long.parseLong(version);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("entry " + id + ": field v is not an integer: " + version, e);
        }
        return new ChangeEntry(
                id,
                require(id, fields, TABLE),
                require(id, fields, KEY),
                Operation.fromWire(require(id, fields, OP)),
                v,
                columns);
    }

    /** The write time, from the entry ID, in epoch milliseconds. */
    public long writeTimeMillis() {
        return Long.parseLong(id.substring(0, id.indexOf('-')));
    }

    private static String require(String id, Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new IllegalArgumentException("entry " + id + " has no field '" + name + "'");
        }
        return v;
    }
}
