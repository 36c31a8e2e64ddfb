package io.cistern.sync;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which open dead letters {@link DeadLetterReplayer#list} returns. Immutable; every {@code with}-method checks its
 * argument and returns a new filter. Criteria combine with AND; an unset criterion matches everything.
 *
 * <pre>{@code
 * DeadLetterFilter.all().withTable("source_documents").withSqlState("23").recordedBetween(from, until).withLimit(100)
 * }</pre>
 */
public final class DeadLetterFilter {
    /** The most dead letters one listing returns unless told otherwise. */
    public static final int DEFAULT_LIMIT = 1_000;

    private static final DeadLetterFilter ALL =
            new DeadLetterFilter(null, null, null, null, null, DEFAULT_LIMIT, null, List.of());

    private final String table;
    private final String sqlState;
    private final String reasonContaining;
    private final Instant from;
    private final Instant until;
    private final int limit;
    /** Recorded dead letters only ({@code cistern_dead_letter}): this partition, or null for any. */
    private final Integer partition;
    /** Recorded dead letters only: these row IDs, or empty for any. */
    private final List<Long> ids;

    private DeadLetterFilter(
            String table,
            String sqlState,
            String reasonContaining,
            Instant from,
            Instant until,
            int limit,
            Integer partition,
            List<Long> ids) {
        this.table = table;
        this.sqlState = sqlState;
        this.reasonContaining = reasonContaining;
        this.from = from;
        this.until = until;
        this.limit = limit;
        this.partition = partition;
        this.ids = ids;
    }

    /**
     * Only dead letters of {@code value} (for {@link DeadLetterReplayer#recorded}; the stream methods take the
     * partition as an argument).
     */
    public DeadLetterFilter withPartition(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("partition must not be negative, was " + value);
        }
        return new DeadLetterFilter(table, sqlState, reasonContaining, from, until, limit, value, ids);
    }

    /** Only the recorded dead letters with these row IDs in {@code cistern_dead_letter} (as {@code dlq list} shows). */
    public DeadLetterFilter withIds(Collection<Long> value) {
        Objects.requireNonNull(value, "ids must not be null");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("ids must name at least one dead letter");
        }
        return new DeadLetterFilter(
                table, sqlState, reasonContaining, from, until, limit, partition, List.copyOf(value));
    }

    public java.util.OptionalInt partition() {
        return partition == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(partition);
    }

    public List<Long> ids() {
        return ids;
    }

    /** Every open dead letter, up to {@link #DEFAULT_LIMIT}. */
    public static DeadLetterFilter all() {
        return ALL;
    }

    /** Only dead letters of entries of {@code table} (exact name). */
    public DeadLetterFilter withTable(String value) {
        Objects.requireNonNull(value, "table must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException("table must not be blank");
        }
        return new DeadLetterFilter(value, sqlState, reasonContaining, from, until, limit, partition, ids);
    }

    /**
     * Only dead letters with this SQLSTATE: a whole code ({@code "23514"}) or a class ({@code "23"}, every integrity
     * constraint violation).
     */
    public DeadLetterFilter withSqlState(String value) {
        Objects.requireNonNull(value, "sqlState must not be null");
        if (!value.matches("[0-9A-Z]{2}|[0-9A-Z]{5}")) {
            throw new IllegalArgumentException(
                    "sqlState must be a SQLSTATE (5 characters, e.g. 23514) or its class (2, e.g. 23), was '" + value
                            + "'");
        }
        return new DeadLetterFilter(table, value, reasonContaining, from, until, limit, partition, ids);
    }

    /** Only dead letters whose reason contains {@code value}, ignoring case ({@code "record absent"}, {@code "check"}). */
    public DeadLetterFilter withReasonContaining(String value) {
        Objects.requireNonNull(value, "reason must not be null");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("reason must not be empty");
        }
        return new DeadLetterFilter(
                table, sqlState, value.toLowerCase(Locale.ROOT), from, until, limit, partition, ids);
    }

    /**
     * Only dead letters recorded at or after {@code fromInclusive} and before {@code untilExclusive}, to the millisecond
     * (the precision of stream IDs).
     */
    public DeadLetterFilter recordedBetween(Instant fromInclusive, Instant untilExclusive) {
        Objects.requireNonNull(fromInclusive, "from must not be null");
        Objects.requireNonNull(untilExclusive, "until must not be null");
        if (fromInclusive.toEpochMilli() < 0) {
            throw new IllegalArgumentException("from must not be before 1970-01-01, was " + fromInclusive);
        }
        if (untilExclusive.toEpochMilli() <= fromInclusive.toEpochMilli()) {
            throw new IllegalArgumentException(
                    "until (" + untilExclusive + ") must be at least a millisecond after from (" + fromInclusive + ")");
        }
        return new DeadLetterFilter(
                table, sqlState, reasonContaining, fromInclusive, untilExclusive, limit, partition, ids);
    }

    /** At most {@code value} dead letters, the oldest first. */
    public DeadLetterFilter withLimit(int value) {
        if (value < 1 || value > 100_000) {
            throw new IllegalArgumentException("limit must be between 1 and 100000, was " + value);
        }
        return new DeadLetterFilter(table, sqlState, reasonContaining, from, until, value, partition, ids);
    }

    public Optional<String> table() {
        return Optional.ofNullable(table);
    }

    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }

    public Optional<String> reasonContaining() {
        return Optional.ofNullable(reasonContaining);
    }

    public Optional<Instant> from() {
        return Optional.ofNullable(from);
    }

    public Optional<Instant> until() {
        return Optional.ofNullable(until);
    }

    public int limit() {
        return limit;
    }

    /** Whether {@code letter} meets every criterion (the time range included). */
    public boolean matches(OpenDeadLetter letter) {
        if (table != null && !table.equals(letter.table())) {
            return false;
        }
        if (sqlState != null && !letter.sqlState().startsWith(sqlState)) {
            return false;
        }
        if (reasonContaining != null
                && !letter.reason().toLowerCase(Locale.ROOT).contains(reasonContaining)) {
            return false;
        }
        long recorded = StreamIds.millis(letter.id());
        return (from == null || recorded >= from.toEpochMilli()) && (until == null || recorded < until.toEpochMilli());
    }

    /** The first ID of the dead-letter stream to read ({@code XRANGE} start, inclusive). */
    String firstId() {
        return from == null ? "-" : Long.toString(from.toEpochMilli());
    }

    /**
     * The last ID of the dead-letter stream to read ({@code XRANGE} end, inclusive): any sequence of the millisecond
     * before {@code until}.
     */
    String lastId() {
        return until == null ? "+" : Long.toString(until.toEpochMilli() - 1);
    }

    @Override
    public String toString() {
        return "DeadLetterFilter[table=" + table + ", sqlState=" + sqlState + ", reasonContaining=" + reasonContaining
                + ", from=" + from + ", until=" + until + ", limit=" + limit
                + (partition == null ? "" : ", partition=" + partition)
                + (ids.isEmpty() ? "" : ", ids=" + ids) + "]";
    }
}
