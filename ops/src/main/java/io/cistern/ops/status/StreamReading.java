package io.cistern.ops.status;

import io.cistern.schema.keys.StreamEntryId;
import java.util.Optional;

/**
 * One atomic reading of a partition stream against its applied watermark, what {@link LagCalculator} needs.
 *
 * @param watermark the applied watermark (meta field {@code applied}); empty before the first batch is applied
 * @param length {@code XLEN} of the stream
 * @param appliedInStream how many entries at or below the watermark are still in the stream (not yet trimmed), or
 *     {@link #UNCOUNTED} when there were more than the reader counts
 * @param unappliedInStream how many entries above the watermark are in the stream, or {@link #UNCOUNTED} when not
 *     counted (the reader counts them only when {@code appliedInStream} is uncounted)
 * @param firstUnapplied the first entry above the watermark (the first entry of all without a watermark)
 * @param maxDeleted the highest ID ever removed by {@code XDEL} ({@code XINFO STREAM} max-deleted-entry-id)
 * @param nowMillis the Redis server's time, ms, from the same instant (entry IDs carry Redis time, so their age is
 *     measured against Redis's clock, not this machine's)
 */
record StreamReading(
        Optional<StreamEntryId> watermark,
        long length,
        long appliedInStream,
        long unappliedInStream,
        Optional<StreamEntryId> firstUnapplied,
        Optional<StreamEntryId> maxDeleted,
        long nowMillis) {
    static final long UNCOUNTED = -1;

    StreamReading {
        if (length < 0) {
            throw new IllegalArgumentException("stream length must not be negative, was " + length);
        }
        if (appliedInStream < UNCOUNTED || unappliedInStream < UNCOUNTED) {
            throw new IllegalArgumentException("counts must be -1 (uncounted) or more");
        }
    }
}
