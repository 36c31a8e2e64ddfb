package io.cistern.sync;

import io.cistern.schema.failure.RetryableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * Deletes resolved dead letters once they are older than a retention, so that {@code cistern_dead_letter} stays bounded:
 * {@code dlq replay} and {@code dlq drop} resolve rows (they set {@code resolved_at} and {@code resolution}) and never
 * delete them. Open dead letters are never deleted, whatever their age: only a row with a {@code resolved_at} before
 * the cutoff matches. The sync worker runs it on a schedule ({@link SyncSettings#deadLetterRetention()}); {@code
 * ops/cistern dlq purge} runs it by hand.
 *
 * <p>Cheap and safe to run anywhere, at any time, by several workers at once: each statement deletes at most {@link
 * #CHUNK} rows, found through the partial index of migration V4 and locked with {@code FOR UPDATE SKIP LOCKED}, in its
 * own short transaction; a concurrent purge skips the rows this one holds and deletes others, so neither waits for the
 * other and no row is counted twice. The cutoff is {@code now() - retention} by PostgreSQL's clock, the clock that
 * wrote {@code resolved_at}, so the clocks of the workers' hosts do not matter.
 *
 * <p>Why a floor ({@link #MINIMUM}): a resolved row is also what keeps its entry from being recorded a second time (a
 * batch retried after a lost acknowledgement inserts {@code ON CONFLICT (partition, entry_id) DO NOTHING}, and {@code
 * ops/cistern init} copies letters left on a Redis dead-letter stream the same way). Once the row is gone such an entry
 * would come back as a new open dead letter, whose replay reports it superseded. An hour leaves every retry and
 * redelivery time to settle first.
 *
 * <p>Thread-safe; holds no connection between calls.
 */
public final class DeadLetterRetention {
    /** The most rows one statement deletes: a short transaction, a bounded set of row locks and of WAL. */
    public static final int CHUNK = 10_000;

    /** The shortest retention accepted; see the class comment. */
    public static final Duration MINIMUM = Duration.ofHours(1);

    /** The longest retention accepted (100 years): beyond it PostgreSQL's interval arithmetic would overflow. */
    public static final Duration MAXIMUM = Duration.ofDays(36_500);

    private final DataSource dataSource;
    private final int chunk;

    /** A retention that purges through {@code dataSource}, {@value #CHUNK} rows per statement. */
    public DeadLetterRetention(DataSource dataSource) {
        this(dataSource, CHUNK);
    }

    DeadLetterRetention(DataSource dataSource, int chunk) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1, was " + chunk);
        }
        this.chunk = chunk;
    }

    /**
     * What a purge deleted (or, for {@link #purgeable}, would delete).
     *
     * @param byResolution how many, by resolution ({@code replayed}, {@code superseded}, {@code dropped})
     * @param statements how many {@code DELETE} statements ran (zero for {@link #purgeable})
     * @param took how long it took
     */
    public record Purged(Map<String, Long> byResolution, int statements, Duration took) {
        public Purged {
            byResolution = Map.copyOf(byResolution);
        }

        /** How many dead letters, of every resolution. */
        public long total() {
            return byResolution.values().stream().mapToLong(Long::longValue).sum();
        }

        /** {@code "replayed 20000, dropped 5000"}, or {@code "none"}. */
        public String describe() {
            if (byResolution.isEmpty()) {
                return "none";
            }
            StringBuilder s = new StringBuilder();
            new TreeMap<>(byResolution).forEach((resolution, n) -> {
                if (!s.isEmpty()) {
                    s.append(", ");
                }
                s.append(resolution).append(' ').append(n);
            });
            return s.toString();
        }
    }

    /**
     * Deletes every dead letter resolved more than {@code olderThan} ago, {@value #CHUNK} per statement, until none
     * is left. Open dead letters are kept.
     *
     * @throws IllegalArgumentException when {@code olderThan} is below {@link #MINIMUM} or above {@link #MAXIMUM}
     * @throws RetryableException when PostgreSQL fails; the statements before committed, nothing of the failed one
     */
    public Purged purge(Duration olderThan) {
        return purge(olderThan, () -> true);
    }

    /** As {@link #purge(Duration)}, stopping between two statements once {@code keepGoing} says so. */
    Purged purge(Duration olderThan, BooleanSupplier keepGoing) {
        requireRetention(olderThan);
        long started = System.nanoTime();
        Map<String, Long> purged = new TreeMap<>();
        int statements = 0;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            while (keepGoing.getAsBoolean()) {
                Map<String, Long> deleted = DeadLetterRows.purgeResolved(c, olderThan, chunk);
                statements++;
                deleted.forEach((resolution, n) -> purged.merge(resolution, n, Long::sum));
                if (deleted.values().stream().mapToLong(Long::longValue).sum() < chunk) {
                    break;
                }
            }
        } catch (SQLException e) {
            throw DeadLetterReplayer.tableFailure(
                    "purging dead letters resolved more than " + olderThan.toMillis() + " ms ago (" + total(purged)
                            + " deleted before the failure) from",
                    e);
        }
        return new Purged(purged, statements, Duration.ofNanos(System.nanoTime() - started));
    }

    /** How many dead letters {@link #purge} would delete now, by resolution. Changes nothing. */
    public Purged purgeable(Duration olderThan) {
        requireRetention(olderThan);
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            return new Purged(DeadLetterRows.purgeable(c, olderThan), 0, Duration.ofNanos(System.nanoTime() - started));
        } catch (SQLException e) {
            throw DeadLetterReplayer.tableFailure("counting resolved dead letters in", e);
        }
    }

    /**
     * Checks a retention against {@link #MINIMUM} and {@link #MAXIMUM}.
     *
     * @throws IllegalArgumentException naming the bounds and why there is a floor
     */
    public static Duration requireRetention(Duration olderThan) {
        Objects.requireNonNull(olderThan, "the retention must not be null");
        if (!withinBounds(olderThan)) {
            throw new IllegalArgumentException("the retention of resolved dead letters must be " + BOUNDS + ", was "
                    + olderThan.toMillis() + " ms: " + WHY_A_FLOOR);
        }
        return olderThan;
    }

    /** The accepted range, for messages. */
    static final String BOUNDS =
            "from " + MINIMUM.toMillis() + " ms (1 h) to " + MAXIMUM.toMillis() + " ms (36500 days)";

    /** Why a retention below {@link #MINIMUM} is refused, for messages. */
    static final String WHY_A_FLOOR = "a resolved dead letter deleted sooner could be recorded again as open by a"
            + " retried batch or a re-import";

    static boolean withinBounds(Duration retention) {
        return retention.compareTo(MINIMUM) >= 0 && retention.compareTo(MAXIMUM) <= 0;
    }

    private static long total(Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
