package io.cistern.writer;

import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.TableDef;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A record's primary key: its column values in primary-key order. Build it from Java values ({@code
 * RecordKey.of(documentUuid, entityUuid)}) or parse the encoded text form used in URLs and the protocol ({@code
 * RecordKey.parse("7c0e...,a%2Cb")}); either way the writer checks each value against its column's type.
 */
public final class RecordKey {
    private final List<Object> values;

    private RecordKey(List<Object> values) {
        this.values = values;
    }

    /** A key of one or more column values, in primary-key order. */
    public static RecordKey of(Object... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("a key needs at least one value");
        }
        for (int i = 0; i < values.length; i++) {
            Objects.requireNonNull(values[i], () -> "key values must not be null");
        }
        return new RecordKey(Collections.unmodifiableList(Arrays.asList(values.clone())));
    }

    /**
     * A key from its encoded text (see {@link KeyEncoding}); each component is then read as its column's type.
     *
     * @throws IllegalArgumentException when the text is not a canonical encoding
     */
    public static RecordKey parse(String encoded) {
        return new RecordKey(List.copyOf(KeyEncoding.decode(encoded)));
    }

    /**
     * This key's address in {@code table}: each value checked against its column's type and canonicalised (see {@link
     * RecordAddress#of}).
     *
     * @throws io.cistern.schema.failure.InvalidRecordException naming the column or the key when it does not fit
     */
    RecordAddress addressIn(TableDef table) {
        return RecordAddress.of(table, values);
    }

    /** The values in primary-key order. */
    public List<Object> values() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordKey k && k.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
