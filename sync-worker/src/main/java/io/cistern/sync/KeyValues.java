package io.cistern.sync;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.TableDef;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * A record's primary key, decoded from its {@link KeyEncoding} text by {@link RecordAddress#decode}: the text of each
 * key column (what the SQL statements bind and cast) and a typed value of each (what orders keys). Immutable.
 *
 * @param encoded the encoded key, as in the change entry and the tombstone
 * @param texts each key column's text as written in the key, in key order
 * @param values each key column's typed value: Long for integers, UUID, LocalDate, or String
 */
record KeyValues(String encoded, List<String> texts, List<Comparable<?>> values) {

    /** Orders keys as PostgreSQL orders their primary-key index for these types (uuid as unsigned bytes). */
    static final Comparator<KeyValues> PRIMARY_KEY_ORDER = KeyValues::compare;

    /**
     * Decodes {@code encoded} for {@code table} (see {@link RecordAddress#decode}).
     *
     * @throws IllegalArgumentException naming the table and the problem when the key is malformed
     */
    static KeyValues decode(TableDef table, String encoded) {
        RecordAddress address;
        try {
            address = RecordAddress.decode(table, encoded);
        } catch (InvalidRecordException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new KeyValues(encoded, address.components(), address.values());
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
