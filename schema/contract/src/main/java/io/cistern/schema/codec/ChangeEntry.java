package io.cistern.schema.codec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One change entry as it stands on a partition stream, in one of two formats; {@link #fromFields} reads both, and the
 * entry ID's millisecond part is the write time in either.
 *
 * <p><b>Format 1</b> (every release; what the Function writes until the partition's gate opens): one stream field per
 * item, 4 + n fields
 *
 * <pre>
 * t   table name
 * k   encoded primary key (see KeyEncoding)
 * o   put | patch | delete
 * v   version, a decimal integer, strictly increasing per key
 * c:{column}   the column's canonical JSON value (put and patch only)
 * </pre>
 *
 * <p><b>Format 2</b> (written once every live sync worker reads it, see {@link
 * io.cistern.schema.wire.MetaFields#ENTRY_FORMAT}): ONE stream field. Its name says the format and the entry's shape,
 * its value carries the rest:
 *
 * <pre>
 * name  = "e2:" op ":" table ":" column ("," column)*      the columns in write order; none for a delete
 * value = version ":" item(key) item(value)*                one value per column of the name, in the same order
 * item(x) = byte-length(x) ":" x                            byte-length: decimal, of x's UTF-8 bytes
 * </pre>
 *
 * For example {@code e2:put:docs:title,n} = {@code 17:5:doc-17:"Hi!"1:3}: version 17, key {@code doc-1}, title {@code
 * "Hi!"}, n {@code 3}. Table and column names are plain identifiers ({@code [a-z_][a-z0-9_]*}), so {@code :} and
 * {@code ,} separate them unambiguously, and the length prefixes make the value unambiguous for any bytes. Entries of
 * one table, operation and column list have the same field name, which a Redis stream node stores once for all of
 * them (as it does format 1's field names); one field instead of 4 + n makes an {@code XREADGROUP} reply and its
 * parse several times cheaper (docs/benchmarks.md, "Issue 22: a denser entry").
 *
 * <p>A field named {@code e<N>} or {@code e<N>:...} for another N is a format of a newer release: {@link #fromFields}
 * refuses it with a message that says to upgrade the worker, never skips it.
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

    /** The format every release reads: one field per item ({@link #TABLE}, {@link #KEY}, ...). */
    public static final int FORMAT_1 = 1;
    /** The packed format: one field {@code e2:<op>:<table>:<columns>} (see the class comment). */
    public static final int FORMAT_2 = 2;
    /** The newest format this release reads (and lets the Function write once every worker reads it). */
    public static final int NEWEST_FORMAT = FORMAT_2;
    /** Prefix of the one stream field of a format-2 entry, {@code e2:<op>:<table>:<columns>}. */
    public static final String PACKED_PREFIX = "e2:";

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
     * Decodes a stream entry's fields, in either format (see the class comment).
     *
     * @throws IllegalArgumentException naming the missing or malformed field, or the newer format it cannot read
     */
    public static ChangeEntry fromFields(String id, Map<String, String> fields) {
        if (fields.size() == 1) {
            // Format 2 has one field; so has a malformed format-1 entry, which the loop below names.
            Map.Entry<String, String> only = fields.entrySet().iterator().next();
            if (only.getKey().startsWith(PACKED_PREFIX)) {
                return PackedEntry.decode(id, only.getKey(), only.getValue());
            }
        }
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
                        if (name.startsWith(PACKED_PREFIX)) {
                            return PackedEntry.decode(id, name, f.getValue());
                        }
                        PackedEntry.refuseNewerFormat(id, name);
                        // other unknown fields are ignored: a newer writer may add some
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

    /**
     * The table an entry's fields name, in either format, without decoding the rest (counting a table's entries in a
     * stream); null when they name none.
     */
    public static String tableOf(Map<String, String> fields) {
        String table = fields.get(TABLE);
        if (table != null) {
            return table;
        }
        for (String name : fields.keySet()) {
            if (name.startsWith(PACKED_PREFIX)) {
                int opEnd = name.indexOf(':', PACKED_PREFIX.length());
                int tableEnd = opEnd < 0 ? -1 : name.indexOf(':', opEnd + 1);
                return tableEnd < 0 ? null : name.substring(opEnd + 1, tableEnd);
            }
        }
        return null;
    }

    /**
     * The format-2 field name of this entry, {@code e2:<op>:<table>:<columns>}: what the Function library writes (tests
     * and tools build entries with it and {@link #packedValue()}).
     */
    public String packedField() {
        return PackedEntry.fieldName(this);
    }

    /** The format-2 field value of this entry, {@code <version>:<key item><value items>} (see the class comment). */
    public String packedValue() {
        return PackedEntry.value(this);
    }

    /** Called by {@link PackedEntry} with a column map it made and nobody else holds. */
    static ChangeEntry owning(
            String id, String table, String key, Operation op, long version, LinkedHashMap<String, String> columns) {
        return new ChangeEntry(id, table, key, op, version, new Frozen(columns));
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
