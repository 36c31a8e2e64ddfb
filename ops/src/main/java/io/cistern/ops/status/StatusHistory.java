package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The pipeline's recent past, for the dashboard's charts: a bounded ring of samples of the status snapshots a {@link
 * StatusMonitor} reads anyway (no Redis read of its own), so that a page loaded now can draw the last minutes at once.
 *
 * <p>Policy: a snapshot becomes a sample when it comes at least {@code 0.9 x spacing} after the previous sample (the
 * tenth absorbs a refresh that runs a little early); samples older than {@code retention} are dropped. Both use the
 * injected clock, the clock of this machine, never Redis's. The ring therefore never needs more than {@link
 * #capacity()} = {@code retention / (0.9 x spacing) + 1} samples, and holds at most that many. A clock that steps back
 * before the newest sample starts the history afresh, so samples stay in time order.
 *
 * <p>Memory: a sample keeps the total backlog, entries added and dead letters, and the backlog of each partition for
 * at most {@value #MAX_PARTITION_SERIES} partitions (a prefix with more keeps the totals only: a chart of more lines
 * says nothing). So the ring holds at most {@code capacity x 256} longs: 167 x 256 x 8 bytes, about 340 KB, with the
 * defaults; 167 x 16 x 8, about 21 KB, for the default 16 partitions.
 *
 * <p>No threads and no I/O; thread-safe (its methods are synchronized: the monitor's thread records, web requests
 * read).
 */
public final class StatusHistory {
    /** How far back the history reaches by default. */
    public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(5);

    /** The least time between two samples by default. */
    public static final Duration DEFAULT_SPACING = Duration.ofSeconds(2);

    /** Partitions whose backlog is kept one by one; a prefix with more keeps totals only. */
    public static final int MAX_PARTITION_SERIES = 256;

    private final Duration retention;
    private final Duration spacing;
    private final Duration leastGap;
    private final InstantSource clock;
    private final int capacity;
    private final ArrayDeque<Sample> samples;

    /**
     * @param retention how far back samples are kept, at least a second
     * @param spacing the least time between samples, positive and at most a tenth of the retention
     * @param clock this machine's clock: stamps samples and expires them
     */
    public StatusHistory(Duration retention, Duration spacing, InstantSource clock) {
        this.retention = Objects.requireNonNull(retention, "retention");
        this.spacing = Objects.requireNonNull(spacing, "spacing");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (retention.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("history retention must be at least 1 s, was " + retention);
        }
        if (spacing.isNegative() || spacing.isZero() || spacing.multipliedBy(10).compareTo(retention) > 0) {
            throw new IllegalArgumentException("history spacing must be positive and at most a tenth of the retention ("
                    + retention + "), was " + spacing);
        }
        this.leastGap = spacing.minus(spacing.dividedBy(10));
        this.capacity = Math.toIntExact(retention.toNanos() / leastGap.toNanos() + 1);
        this.samples = new ArrayDeque<>(capacity);
    }

    /** Five minutes of samples, one every 2 s at most, on the system clock. */
    public static StatusHistory defaults() {
        return new StatusHistory(DEFAULT_RETENTION, DEFAULT_SPACING, InstantSource.system());
    }

    /** How far back samples are kept. */
    public Duration retention() {
        return retention;
    }

    /** The least time between two samples. */
    public Duration spacing() {
        return spacing;
    }

    /** The most samples the ring ever holds: enough for the whole retention at the closest spacing. */
    public int capacity() {
        return capacity;
    }

    /** This history's clock now: the end of the span the samples cover. */
    public Instant now() {
        return clock.instant();
    }

    /**
     * Records {@code snapshot} as a sample stamped now (to the millisecond), unless the previous sample is less than (nine tenths of) the
     * spacing old.
     *
     * @return whether it was kept
     */
    public synchronized boolean record(StatusSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        // To the millisecond, as clients see it: a client that asks for the samples after one it has gets the next.
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Sample previous = samples.peekLast();
        if (previous != null && now.isBefore(previous.at())) {
            samples.clear(); // the clock stepped back: keep the samples in time order
            previous = null;
        }
        if (previous != null && Duration.between(previous.at(), now).compareTo(leastGap) < 0) {
            return false;
        }
        expire(now);
        if (samples.size() == capacity) {
            samples.removeFirst(); // cannot happen with a steady clock (see capacity), kept as the bound's guard
        }
        samples.addLast(Sample.of(now, snapshot, previous));
        return true;
    }

    /** The samples of the last {@link #retention()}, oldest first. */
    public synchronized List<Sample> samples() {
        expire(clock.instant());
        return List.copyOf(samples);
    }

    /** The samples of the last {@link #retention()} taken after {@code after}, oldest first. */
    public synchronized List<Sample> samplesAfter(Instant after) {
        expire(clock.instant());
        return samples.stream().filter(s -> s.at().isAfter(after)).toList();
    }

    private void expire(Instant now) {
        Instant oldest = now.minus(retention);
        while (!samples.isEmpty() && samples.peekFirst().at().isBefore(oldest)) {
            samples.removeFirst();
        }
    }

    /**
     * The pipeline at one instant, as the charts draw it. Immutable.
     *
     * @param at when it was recorded, this machine's clock
     * @param partitions how many partitions the snapshot had
     * @param backlog entries not yet applied, all partitions
     * @param entriesAdded entries ever added to the streams, all partitions
     * @param deadLetters dead letters, all partitions
     * @param inPerSecond entries added per second since the previous sample; empty for the first sample, or when
     *     fewer entries were ever added than then (Redis lost data)
     * @param outPerSecond entries applied or dead-lettered per second since the previous sample (added minus the
     *     backlog's growth, never below zero); empty when {@code inPerSecond} is
     */
    public record Sample(
            Instant at,
            int partitions,
            long backlog,
            long entriesAdded,
            long deadLetters,
            OptionalDouble inPerSecond,
            OptionalDouble outPerSecond,
            long[] partitionBacklogs) {
        /** @param partitionBacklogs each partition's backlog, by number; empty above {@value #MAX_PARTITION_SERIES} */
        public Sample {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(inPerSecond, "inPerSecond");
            Objects.requireNonNull(outPerSecond, "outPerSecond");
            partitionBacklogs = partitionBacklogs.clone();
        }

        static Sample of(Instant at, StatusSnapshot s, Sample previous) {
            List<PartitionStatus> partitions = s.partitions();
            long[] backlogs = partitions.size() > MAX_PARTITION_SERIES
                    ? new long[0]
                    : partitions.stream().mapToLong(PartitionStatus::backlog).toArray();
            long backlog = s.backlog();
            long added =
                    partitions.stream().mapToLong(PartitionStatus::entriesAdded).sum();
            OptionalDouble in = OptionalDouble.empty();
            OptionalDouble out = OptionalDouble.empty();
            if (previous != null && added >= previous.entriesAdded() && at.isAfter(previous.at())) {
                double seconds = Duration.between(previous.at(), at).toNanos() / 1e9;
                double rateIn = (added - previous.entriesAdded()) / seconds;
                in = OptionalDouble.of(rateIn);
                // What left the backlog: what came in minus its growth (dead letters leave it too).
                out = OptionalDouble.of(Math.max(0, rateIn - (backlog - previous.backlog()) / seconds));
            }
            return new Sample(at, partitions.size(), backlog, added, s.deadLetters(), in, out, backlogs);
        }

        /** Each partition's backlog by number (a copy); empty when the snapshot had more than 256 partitions. */
        @Override
        public long[] partitionBacklogs() {
            return partitionBacklogs.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sample other
                    && at.equals(other.at)
                    && partitions == other.partitions
                    && backlog == other.backlog
                    && entriesAdded == other.entriesAdded
                    && deadLetters == other.deadLetters
                    && inPerSecond.equals(other.inPerSecond)
                    && outPerSecond.equals(other.outPerSecond)
                    && Arrays.equals(partitionBacklogs, other.partitionBacklogs);
        }

        @Override
        public int hashCode() {
            return Objects.hash(at, backlog, entriesAdded, deadLetters) * 31 + Arrays.hashCode(partitionBacklogs);
        }

        @Override
        public String toString() {
            return "Sample[at=" + at + ", backlog=" + backlog + ", entriesAdded=" + entriesAdded + ", in="
                    + inPerSecond + ", out=" + outPerSecond + ", partitions=" + Arrays.toString(partitionBacklogs)
                    + "]";
        }
    }
}
