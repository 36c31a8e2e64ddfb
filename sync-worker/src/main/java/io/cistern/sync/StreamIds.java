package io.cistern.sync;

import io.cistern.schema.keys.StreamEntryId;
import java.util.Comparator;

/**
 * Stream entry IDs kept as strings (as Lettuce hands them over), compared as Redis orders them. The parsing and the
 * order are the contract's {@link StreamEntryId}; this only saves the callers the conversions. Stateless.
 */
final class StreamIds {
    static final Comparator<String> ORDER = StreamIds::compare;

    private StreamIds() {}

    static int compare(String a, String b) {
        return StreamEntryId.parse(a).compareTo(StreamEntryId.parse(b));
    }

    /** The milliseconds part of {@code id}. */
    static long millis(String id) {
        return StreamEntryId.parse(id).millis();
    }

    /**
     * Returns {@code id} when it is a stream entry ID.
     *
     * @throws IllegalArgumentException naming the malformed ID
     */
    static String require(String id) {
        StreamEntryId.parse(id);
        return id;
    }
}
