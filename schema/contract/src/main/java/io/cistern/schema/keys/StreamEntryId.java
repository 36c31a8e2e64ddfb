package io.cistern.schema.keys;

/**
 * A Redis stream entry ID, {@code <ms>-<seq>}, ordered as Redis orders them: by the millisecond time, then by the
 * sequence number, both unsigned 64-bit numbers. Compare IDs with this, never as strings ({@code "9-0"} sorts after
 * {@code "10-0"} as text). Used to compare a write's entry ID with a partition's applied watermark.
 *
 * @param millis the millisecond part (for Cistern's change entries, the write time)
 * @param sequence the sequence number within that millisecond
 */
public record StreamEntryId(long millis, long sequence) implements Comparable<StreamEntryId> {

    /**
     * Parses {@code <ms>-<seq>}.
     *
     * @throws IllegalArgumentException when {@code id} is not two unsigned decimal numbers joined by {@code -}
     */
    public static StreamEntryId parse(String id) {
        if (id == null) {
            throw new IllegalArgumentException("a stream entry ID must not be null");
        }
        int dash = id.indexOf('-');
        if (dash <= 0 || dash == id.length() - 1 || !digits(id, 0, dash) || !digits(id, dash + 1, id.length())) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry ID (<ms>-<seq>)");
        }
        try {
            return new StreamEntryId(
                    Long.parseUnsignedLong(id, 0, dash, 10), Long.parseUnsignedLong(id, dash + 1, id.length(), 10));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry ID: a part exceeds 64 bits", e);
        }
    }

    /** Whether this ID is at or after {@code other}: an applied watermark {@code w} covers entry {@code e} when so. */
    public boolean isAtOrAfter(StreamEntryId other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(StreamEntryId other) {
        int c = Long.compareUnsigned(millis, other.millis);
        return c != 0 ? c : Long.compareUnsigned(sequence, other.sequence);
    }

    /** The ID as Redis writes it. */
    @Override
    public String toString() {
        return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(sequence);
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
