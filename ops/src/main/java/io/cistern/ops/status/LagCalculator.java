package io.cistern.ops.status;

import io.cistern.schema.keys.StreamEntryId;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A partition's lag from one atomic reading of its stream ({@link StreamReading}). Pure: no threads, no I/O.
 *
 * <p>Why not {@code XINFO GROUPS}' {@code lag}: Redis computes it from counters ({@code entries-added} minus the
 * group's {@code entries-read}) that it can keep only while nothing is deleted inside the group's unread range; after
 * an {@code XDEL} there, or when the group was created at an arbitrary ID, it is null, and trims make the counters
 * disagree with what is in the stream. It also counts entries <em>delivered</em>, not applied: a batch read and
 * still being retried against a PostgreSQL that is down counts as caught up. Cistern's applied watermark is what
 * PostgreSQL has committed, so the lag here is measured from it:
 *
 * <ul>
 *   <li><b>backlog</b>: the entries in the stream above the watermark. Trimming only ever removes entries at or below
 *       the watermark, so the backlog is {@code length - appliedInStream}; an entry deleted with {@code XDEL} is not
 *       in {@code length} and so never counted. When the applied head was too long to count, the reader counts the
 *       entries above the watermark instead. Without a watermark (nothing applied yet, or Redis lost its data) every
 *       entry in the stream is unapplied.
 *   <li><b>oldest age</b>: Redis time now minus the millisecond part of the first entry above the watermark (entry IDs
 *       are stamped with Redis time when the write happened); zero when there is no backlog, never negative.
 *   <li><b>deleted before applied</b>: {@code XDEL} removed an entry above the watermark (max-deleted-entry-id is
 *       higher): a write acknowledged to its producer that will never reach PostgreSQL. Cistern itself never does
 *       this.
 * </ul>
 */
final class LagCalculator {
    private LagCalculator() {}

    /**
     * A partition's lag.
     *
     * @param backlog entries not yet applied
     * @param oldestAge age of the oldest unapplied entry, zero without backlog
     * @param deletedBeforeApplied whether an entry above the watermark was deleted with {@code XDEL}
     */
    record Lag(long backlog, Duration oldestAge, boolean deletedBeforeApplied) {}

    /**
     * The lag of one reading.
     *
     * @param uncountedFallback the backlog counted outside the atomic reading, used only when neither count of the
     *     reading is known
     */
    static Lag of(StreamReading r, OptionalLong uncountedFallback) {
        long backlog;
        if (r.watermark().isEmpty()) {
            backlog = r.length();
        } else if (r.appliedInStream() != StreamReading.UNCOUNTED) {
            backlog = Math.max(0, r.length() - r.appliedInStream());
        } else if (r.unappliedInStream() != StreamReading.UNCOUNTED) {
            backlog = r.unappliedInStream();
        } else {
            backlog = uncountedFallback.orElseThrow(() -> new IllegalArgumentException(
                    "neither count of the reading is known and no fallback count was given"));
        }
        if (r.firstUnapplied().isEmpty()) {
            // Nothing above the watermark at the instant of the reading (a fallback count may have raced writes).
            backlog = 0;
        }
        Duration age = Duration.ZERO;
        if (backlog > 0) {
            long ms = r.nowMillis() - r.firstUnapplied().get().millis();
            age = Duration.ofMillis(Math.max(0, ms));
        }
        boolean deleted = r.maxDeleted()
                .filter(d -> !d.equals(new StreamEntryId(0, 0)))
                .map(d -> r.watermark().map(w -> d.compareTo(w) > 0).orElse(true))
                .orElse(false);
        return new Lag(backlog, age, deleted);
    }
}
