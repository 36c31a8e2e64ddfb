package io.cistern.writer;

import io.cistern.schema.keys.StreamEntryId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The waiters of one partition and its polling cadence: a pure core with no threads and no I/O, driven by {@link
 * SyncBarrier}, which reads the watermark once per round for all of them.
 *
 * <p>Each round ({@link #observe}) hands back the waiters the watermark now covers (their entry ID is at or before it:
 * they still need the dead-letter check), then those whose deadline has passed. A covered waiter is never reported as
 * timed out in the same round: the answer is known, so it is given. Cancelled waiters are dropped silently.
 *
 * <p>Polling backs off while nothing moves: the first poll after a waiter arrives or the watermark advances is {@code
 * firstPoll} away, each unchanged round doubles the interval up to {@code maxPoll}, and no poll is scheduled past the
 * earliest deadline, so a timeout is reported on time rather than up to one interval late.
 *
 * <p>Not thread-safe: confined to the barrier's thread.
 */
final class SyncWaitQueue {
    private static final Duration MIN_DELAY = Duration.ofMillis(1);

    private final Duration firstPoll;
    private final Duration maxPoll;
    private final List<PendingSync> waiting = new ArrayList<>();
    private Duration interval;
    private Optional<StreamEntryId> lastWatermark = Optional.empty();

    /** What one round decided. */
    record Round(List<PendingSync> covered, List<PendingSync> expired, Optional<Duration> nextPoll) {}

    SyncWaitQueue(Duration firstPoll, Duration maxPoll) {
        if (firstPoll.isNegative() || firstPoll.isZero()) {
            throw new IllegalArgumentException("firstPoll must be positive, was " + firstPoll);
        }
        if (maxPoll.compareTo(firstPoll) < 0) {
            throw new IllegalArgumentException("maxPoll (" + maxPoll.toMillis() + " ms) must not be below firstPoll ("
                    + firstPoll.toMillis() + " ms)");
        }
        this.firstPoll = firstPoll;
        this.maxPoll = maxPoll;
        this.interval = firstPoll;
    }

    /** Adds a waiter; the next poll comes soon, since a fresh write is likely to be applied within one batch. */
    void add(PendingSync pending) {
        waiting.add(Objects.requireNonNull(pending, "pending"));
        interval = firstPoll;
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    int size() {
        return waiting.size();
    }

    /** The watermark seen last, empty before the first round or while none is published. */
    Optional<StreamEntryId> lastWatermark() {
        return lastWatermark;
    }

    /** How long until the next poll is due, from {@code now}; empty when nobody waits. */
    Optional<Duration> nextPoll(Instant now) {
        waiting.removeIf(p -> p.future().isDone());
        if (waiting.isEmpty()) {
            return Optional.empty();
        }
        Duration delay = interval;
        for (PendingSync p : waiting) {
            Duration untilDeadline = Duration.between(now, p.deadline());
            if (untilDeadline.compareTo(delay) < 0) {
                delay = untilDeadline;
            }
        }
        return Optional.of(delay.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : delay);
    }

    /**
     * One round: the watermark just read ({@code empty} when none is published or it could not be read) at {@code
     * now}. Removes and returns the covered and the expired waiters.
     */
    Round observe(Optional<StreamEntryId> watermark, Instant now) {
        boolean advanced = watermark.isPresent()
                && (lastWatermark.isEmpty() || watermark.get().compareTo(lastWatermark.get()) > 0);
        if (watermark.isPresent()) {
            lastWatermark = watermark;
        }
        interval = advanced ? firstPoll : min(interval.multipliedBy(2), maxPoll);
        List<PendingSync> covered = new ArrayList<>();
        List<PendingSync> expired = new ArrayList<>();
        for (Iterator<PendingSync> it = waiting.iterator(); it.hasNext(); ) {
            PendingSync p = it.next();
            if (p.future().isDone()) {
                it.remove();
            } else if (watermark.isPresent() && watermark.get().isAtOrAfter(p.entryId())) {
                covered.add(p);
                it.remove();
            } else if (!now.isBefore(p.deadline())) {
                expired.add(p);
                it.remove();
            }
        }
        return new Round(covered, expired, nextPoll(now));
    }

    /** Removes and returns every waiter (the barrier is closing). */
    List<PendingSync> removeAll() {
        List<PendingSync> all = List.copyOf(waiting);
        waiting.clear();
        return all;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
