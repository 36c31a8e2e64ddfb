package io.cistern.sync;

import java.util.Comparator;

/** Stream entry IDs ({@code <ms>-<seq>}) compared as numbers, as Redis orders them. Stateless. */
final class StreamIds {
    static final Comparator<String> ORDER = StreamIds::compare;

    private StreamIds() {}

    static int compare(String a, String b) {
        int c = Long.compareUnsigned(part(a, 0), part(b, 0));
        return c != 0 ? c : Long.compareUnsigned(part(a, 1), part(b, 1));
    }

    /** The milliseconds part of {@code id}. */
    static long millis(String id) {
        return part(id, 0);
    }

    /**
     * Returns {@code id} when it is a stream entry ID.
     *
     * @throws IllegalArgumentException naming the malformed ID
     */
    static String require(String id) {
        try {
            part(id, 0);
            part(id, 1);
            return id;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry ID (<ms>-<seq>)", e);
        }
    }

    private static long part(String id, int index) {
        int dash = id.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry ID (<ms>-<seq>)");
        }
        return Long.parseUnsignedLong(index == 0 ? id.substring(0, dash) : id.substring(dash + 1));
    }
}
