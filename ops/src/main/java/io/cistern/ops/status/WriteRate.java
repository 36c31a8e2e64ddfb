package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The rate writes arrive at lately: entries ever added to the partition streams ({@link
 * StatusSnapshot#entriesAdded()}), whoever wrote them, over a sliding window of snapshots, so one burst or one slow
 * read does not swing the figure. Times are the snapshots' (Redis's clock). A snapshot with fewer entries added than
 * the one before (Redis lost its data) or from before the newest one starts afresh. No I/O; thread-safe.
 */
public final class WriteRate {
    /** The window by default: a minute. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

    private final Duration window;
    private final ArrayDeque<Point> points = new ArrayDeque<>();

    private record Point(Instant at, long added) {}

    public WriteRate(Duration window) {
        this.window = Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("write-rate window must be positive, was " + window);
        }
    }

    /** Adds a snapshot's total of entries added. */
    public synchronized void record(StatusSnapshot snapshot) {
        record(snapshot.takenAt(), snapshot.entriesAdded());
    }

    synchronized void record(Instant at, long entriesAdded) {
        Point last = points.peekLast();
        if (last != null && (entriesAdded < last.added() || !at.isAfter(last.at()))) {
            points.clear();
        }
        points.addLast(new Point(at, entriesAdded));
        // Keep one point at or before the window's start, so the window is covered whole.
        while (points.size() > 2) {
            Point second = points.stream().skip(1).findFirst().orElseThrow();
            if (second.at().isAfter(at.minus(window))) {
                break;
            }
            points.removeFirst();
        }
    }

    /** Entries added per second across the window; empty before two snapshots. */
    public synchronized OptionalDouble perSecond() {
        if (points.size() < 2) {
            return OptionalDouble.empty();
        }
        return between(
                points.peekFirst().at(),
                points.peekFirst().added(),
                points.peekLast().at(),
                points.peekLast().added());
    }

    /** The rate between two snapshots, the earlier first; empty when they do not follow one another. */
    public static OptionalDouble between(StatusSnapshot earlier, StatusSnapshot later) {
        return between(earlier.takenAt(), earlier.entriesAdded(), later.takenAt(), later.entriesAdded());
    }

    private static OptionalDouble between(Instant t0, long a0, Instant t1, long a1) {
        if (!t1.isAfter(t0) || a1 < a0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of((a1 - a0) / (Duration.between(t0, t1).toNanos() / 1e9));
    }
}
