package io.cistern.sync;

import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * A record's primary key, decoded from its {@link KeyEncoding} text: the canonical text of each key column (what the
 * SQL statements bind and cast) and a typed value of each (what orders keys). Immutable.
 *
 * @param encoded the encoded key, as in the change entry and the tombstone
 * @param texts each key column's canonical text, in key order
 * @param values each key column's typed value: Long for integers, UUID, LocalDate, or String
 */
record KeyValues(String encoded, List<String> texts, List<Comparable<?>> values) {

    /** Orders keys as PostgreSQL orders their primary-key index for these types (uuid as unsigned bytes). */
    static final Comparator<KeyValues> PRIMARY_KEY_ORDER = KeyValues::compare;

    /**
     * Decodes {@code encoded} for {@code table}.
     *
     * @throws IllegalArgumentException naming the table and the problem when the key is malformed
     */
    static KeyValues decode(TableDef table, String encoded) {
        List<String> texts;
        try {
            // A key of unreserved characters only (a uuid, a number) is one component that stands as it is.
            texts = isPlain(encoded) ? List.of(encoded) : KeyEncoding.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "malformed key '" + encoded + "' of table '" + table.name() + "': " + e.getMessage(), e);
        }
        List<ColumnDef> columns = table.keyColumns();
        if (texts.size() != columns.size()) {
            throw new IllegalArgumentException("key '" + encoded + "' of table '" + table.name() + "' has "
                    + texts.size() + " components; its primary key " + table.primaryKey() + " has " + columns.size());
        }
        List<Comparable<?>> values = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            values.add(typed(table, columns.get(i), texts.get(i)));
        }
        return new KeyValues(encoded, List.copyOf(texts), Collections.unmodifiableList(values));
    }

    /** Whether every character is unreserved in {@link KeyEncoding} (no separator, no escape): decoding keeps it. */
    private static boolean isPlain(String encoded) {
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            boolean unreserved = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~';
            if (!unreserved) {
                return false;
            }
        }
        return true;
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
            throw new IllegalArgumentException(
                    "key column '" + column.name() + "' of table '" + table.name() + "' is "
                            + column.type().sqlName() + ", got '" + text + "'",
                    e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compare(KeyValues a, KeyValues b) {
        for (int i = 0; i < Math.min(a.values.size(), b.values.size()); i++) {
            Object x = a.values.get(i);
            Object y = b.values.get(i);
            int c;
            if (x instanceof UUID u && y instanceof UUID w) {
                c = Long.compareUnsigned(u.getMostSignificantBits(), w.getMostSignificantBits());
                if (c == 0) {
                    c = Long.compareUnsigned(u.getLeastSignificantBits(), w.getLeastSignificantBits());
                }
            } else {
                c = ((Comparable) x).compareTo(y);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.values.size(), b.values.size());
    }
}
