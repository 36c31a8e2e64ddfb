package io.cistern.schema.keys;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Where one record lives: its table, its primary key in {@link KeyEncoding} form, and the partition that key routes to.
 * The one owner, in Java, of a key's canonical form, its validation and its partition; the Function library checks the
 * same rules in Lua ({@code prepare} in {@code cistern_v1.lua}), and {@code RecordAddressLuaPropertyIT} holds the two
 * together over random composite keys.
 *
 * <p>An address is made in one of three ways, by what its maker holds:
 *
 * <ul>
 *   <li>{@link #of} from key values as a producer gives them (Java values, or each column's text): each is
 *       canonicalised by its column's type (a uuid in lower case, an integer's digits, a date as {@code yyyy-mm-dd},
 *       text as is). The writer.
 *   <li>{@link #parse} from an encoded key that must already be canonical, since it names a Redis key as it is. The
 *       reader.
 *   <li>{@link #decode} from an encoded key the Function accepted (a change entry's key), kept as written and read into
 *       typed values. The sync worker.
 * </ul>
 *
 * Every refusal is an {@link InvalidRecordException} naming the table and the field: {@code MISSING_KEY} or {@code
 * MALFORMED_KEY}, on field {@code key} when the key as a whole is wrong, or on the column whose value is. Immutable
 * and thread-safe.
 */
public final class RecordAddress {
    private final TableDef table;
    private final List<String> components;
    private final String key;
    /** The typed values when {@link #decode} has read them already; otherwise read on demand. */
    private final List<Comparable<?>> values;

    private RecordAddress(TableDef table, List<String> components, String key, List<Comparable<?>> values) {
        this.table = table;
        this.components = components;
        this.key = key;
        this.values = values;
    }

    /**
     * The address of the record whose key columns hold {@code values}, in primary-key order: Java values of the
     * columns' types, or each column's text (as parsed from an encoded key), canonicalised by type.
     *
     * @throws InvalidRecordException {@code MISSING_KEY} naming the first missing column when too few values are
     *     given, or a null one; {@code MALFORMED_KEY} on {@code key} when too many; {@code MALFORMED_KEY} naming the
     *     column when a value does not fit its type
     */
    public static RecordAddress of(TableDef table, List<?> values) {
        List<ColumnDef> keyColumns = table.keyColumns();
        if (values.size() < keyColumns.size()) {
            String missing = keyColumns.get(values.size()).name();
            throw new InvalidRecordException(
                    Reason.MISSING_KEY,
                    table.name(),
                    missing,
                    "table '" + table.name() + "' has primary key " + table.primaryKey() + "; the key gives "
                            + values.size() + " of its " + keyColumns.size() + " values and lacks '" + missing + "'");
        }
        if (values.size() > keyColumns.size()) {
            throw new InvalidRecordException(
                    Reason.MALFORMED_KEY,
                    table.name(),
                    "key",
                    "table '" + table.name() + "' has primary key " + table.primaryKey() + " (" + keyColumns.size()
                            + " value" + (keyColumns.size() == 1 ? "" : "s") + "), got " + values.size());
        }
        List<String> texts = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            texts.add(canonicalText(table, keyColumns.get(i), values.get(i)));
        }
        return new RecordAddress(table, Collections.unmodifiableList(texts), KeyEncoding.encode(texts), null);
    }

    /**
     * The canonical text of one key column's value, as {@link #of} takes it into the key: for comparing a key column
     * repeated outside the key with the key's own component.
     *
     * @throws InvalidRecordException as {@link #of} does for one value
     */
    public static String canonicalText(TableDef table, ColumnDef keyColumn, Object value) {
        return ValueCodec.keyText(table.name(), keyColumn, value);
    }

    /**
     * The address named by an encoded key that must already be canonical: a key names a Redis key exactly as written,
     * so an upper-case uuid or {@code 007} for an integer is refused with its canonical form rather than looked up.
     *
     * @throws InvalidRecordException {@code MISSING_KEY} on {@code key} when it is null, empty (unless the key is one
     *     text column, which may hold the empty text) or lacks components; {@code
     *     MALFORMED_KEY} on {@code key} when it is not canonical {@link KeyEncoding} or has too many components;
     *     {@code MALFORMED_KEY} naming the column whose value does not fit its type or is not in canonical form
     */
    public static RecordAddress parse(TableDef table, String key) {
        if (key == null || (key.isEmpty() && !emptyIsAValue(table))) {
            throw new InvalidRecordException(
                    Reason.MISSING_KEY, table.name(), "key", "a read of table '" + table.name() + "' needs a key");
        }
        List<String> parts = components(table, key);
        List<ColumnDef> keyColumns = table.keyColumns();
        for (int i = 0; i < parts.size(); i++) {
            String canonical = canonicalText(table, keyColumns.get(i), parts.get(i));
            if (!canonical.equals(parts.get(i))) {
                throw new InvalidRecordException(
                        Reason.MALFORMED_KEY,
                        table.name(),
                        keyColumns.get(i).name(),
                        "key column '" + keyColumns.get(i).name() + "' of table '" + table.name() + "' is written '"
                                + parts.get(i) + "'; its canonical form is '" + canonical + "'");
            }
        }
        return new RecordAddress(table, parts, key, null);
    }

    /**
     * Whether the empty key names a record: only when the key is one text column, whose value may be the empty text (as
     * a text component of a composite key may be).
     */
    private static boolean emptyIsAValue(TableDef table) {
        return table.primaryKey().size() == 1 && table.keyColumns().getFirst().type() == SqlType.TEXT;
    }

    /**
     * The address of a key the Function library accepted, as it stands in a change entry: decoded, counted and read
     * into typed values, but kept as written. The Function checks the encoding and the partition, not the columns'
     * types, so a producer outside Java may have written {@code 007} for an integer; PostgreSQL reads that as 7.
     *
     * @throws InvalidRecordException {@code MALFORMED_KEY} or {@code MISSING_KEY} as {@link #parse} does for the key
     *     as a whole; {@code MALFORMED_KEY} naming the column whose text is not a value of its type
     */
    public static RecordAddress decode(TableDef table, String key) {
        List<String> parts = components(table, key);
        List<ColumnDef> keyColumns = table.keyColumns();
        List<Comparable<?>> values = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            values.add(typed(table, keyColumns.get(i), parts.get(i)));
        }
        return new RecordAddress(table, parts, key, Collections.unmodifiableList(values));
    }

    /** The key's components, decoded and counted against the table's primary key. */
    private static List<String> components(TableDef table, String key) {
        List<String> parts;
        try {
            parts = KeyEncoding.decode(key);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(
                    Reason.MALFORMED_KEY,
                    table.name(),
                    "key",
                    "malformed key '" + key + "' of table '" + table.name() + "': " + e.getMessage(),
                    e);
        }
        int expected = table.primaryKey().size();
        if (parts.size() != expected) {
            throw new InvalidRecordException(
                    parts.size() < expected ? Reason.MISSING_KEY : Reason.MALFORMED_KEY,
                    table.name(),
                    "key",
                    "key '" + key + "' has " + parts.size() + " components; table '" + table.name()
                            + "' has primary key " + table.primaryKey() + " (join the values with ',' after"
                            + " %-encoding each)");
        }
        return parts;
    }

    private static Comparable<?> typed(TableDef table, ColumnDef column, String text) {
        try {
            return switch (column.type()) {
                case SMALLINT, INTEGER, BIGINT -> Long.parseLong(text);
                case UUID -> UUID.fromString(text);
                case DATE -> LocalDate.parse(text);
                default -> text;
            };
        } catch (RuntimeException e) {
            throw new InvalidRecordException(
                    Reason.MALFORMED_KEY,
                    table.name(),
                    column.name(),
                    "key column '" + column.name() + "' of table '" + table.name() + "' is "
                            + column.type().sqlName() + ", got '" + text + "'",
                    e);
        }
    }

    /** The table the record belongs to. */
    public TableDef table() {
        return table;
    }

    /** The encoded key ({@link KeyEncoding}): the record's name in Redis keys, URLs and change entries. */
    public String key() {
        return key;
    }

    /** Each key column's text, in primary-key order: what SQL statements bind and cast to the column's type. */
    public List<String> components() {
        return components;
    }

    /**
     * Each key column's typed value, in primary-key order: a Long for the integer types, a UUID, a LocalDate, or the
     * String of a text column.
     */
    public List<Comparable<?>> values() {
        if (values != null) {
            return values;
        }
        List<ColumnDef> keyColumns = table.keyColumns();
        List<Comparable<?>> typed = new ArrayList<>(components.size());
        for (int i = 0; i < components.size(); i++) {
            typed.add(typed(table, keyColumns.get(i), components.get(i)));
        }
        return Collections.unmodifiableList(typed);
    }

    /** The text the partition hash reads: the key's first {@link TableDef#routingColumns()} components, encoded. */
    public String routingText() {
        return Partitioner.routingText(key, table.routingColumns());
    }

    /** The partition of this record among {@code partitions}. */
    public int partition(int partitions) {
        return Partitioner.partitionOf(routingText(), partitions);
    }

    /** The Redis key of the record's hash, in its partition among {@code partitions}. */
    public String recordKey(KeyLayout layout, int partitions) {
        return layout.record(partition(partitions), table.name(), key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordAddress a && a.table.name().equals(table.name()) && a.key.equals(key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(table.name(), key);
    }

    @Override
    public String toString() {
        return table.name() + ":" + key;
    }
}
