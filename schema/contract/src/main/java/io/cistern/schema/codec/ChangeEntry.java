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
    /** Stream field, the table name: written by the Function library's writes; read by the sync worker and replay. */
    public static final String TABLE = "t";
    /** Stream field, the encoded key: written by the Function library's writes; read by the sync worker and replay. */
    public static final String KEY = "k";
    /** Stream field, {@link Operation#wire()}: written by the Function library's writes; read by the sync worker. */
    public static final String OP = "o";
    /** Stream field, the write's version: written by the Function library's writes; read by the sync worker. */
    public static final String VERSION = "v";
    /** Prefix of a stream field {@code c:<column>}: written by the Function library's put and patch; read by the sync worker. */
    public static final String COLUMN_PREFIX = "c:";

    /** Column names by their field names ({@code c:name} to {@code name}): a few per table, looked up per entry. */
    private static final Map<String, String> COLUMN_NAMES = new java.util.concurrent.ConcurrentHashMap<>();

    private static final int MAX_CACHED_COLUMN_NAMES = 10_000;

    public ChangeEntry {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(op, "op");
        columns = java.util.Collections.unmodifiableMap(
                columns instanceof Frozen frozen ? frozen.owned : new LinkedHashMap<>(columns));
    }

    /**
     * Decodes a stream entry's fields.
     *
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static ChangeEntry fromFields(String id, Map<String, String> fields) {
        // One pass, one copy: the columns are collected into the map the entry keeps (no defensive copy of it).
        LinkedHashMap<String, String> columns = new LinkedHashMap<>();
        String table = null;
        String key = null;
        String op = null;
        String version = null;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            String name = f.getKey();
            if (name.startsWith(COLUMN_PREFIX)) {
                columns.put(columnName(name), f.getValue());
            } else {
                switch (name) {
                    case TABLE -> table = f.getValue();
                    case KEY -> key = f.getValue();
                    case OP -> op = f.getValue();
                    case VERSION -> version = f.getValue();
                    default -> {
                        // unknown fields are ignored: a newer writer may add some
                    }
                }
            }
        }
        require(id, version, VERSION);
        long v;
        try {
            v = Long.parseLong(version);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("entry " + id + ": field v is not an integer: " + version, e);
        }
        return new ChangeEntry(
                id,
                require(id, table, TABLE),
                require(id, key, KEY),
                Operation.fromWire(require(id, op, OP)),
                v,
                new Frozen(columns));
    }

    private static String columnName(String field) {
        String name = COLUMN_NAMES.get(field);
        if (name == null) {
            name = field.substring(COLUMN_PREFIX.length());
            if (COLUMN_NAMES.size() < MAX_CACHED_COLUMN_NAMES) {
                COLUMN_NAMES.putIfAbsent(field, name);
            }
        }
        return name;
    }

    /**
     * Hands a map that {@link #fromFields} made, and that nobody else holds, to the constructor, which keeps it without
     * a second copy. Only this class makes one.
     */
    private static final class Frozen extends java.util.AbstractMap<String, String> {
        private final LinkedHashMap<String, String> owned;

        private Frozen(LinkedHashMap<String, String> owned) {
            this.owned = owned;
        }

        @Override
        public java.util.Set<Map.Entry<String, String>> entrySet() {
            return java.util.Collections.unmodifiableMap(owned).entrySet();
        }
    }

    /** The write time, from the entry ID, in epoch milliseconds. */
    public long writeTimeMillis() {
        return Long.parseLong(id, 0, id.indexOf('-'), 10);
    }

    private static String require(String id, String v, String name) {
        if (v == null) {
            throw new IllegalArgumentException("entry " + id + " has no field '" + name + "'");
        }
        return v;
    }
}
