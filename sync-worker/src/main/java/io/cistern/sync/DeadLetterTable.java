package io.cistern.sync;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Reads the open dead letters in {@code cistern_dead_letter}, their record of truth, for what watches the pipeline:
 * the count per partition (status, {@code lag}, the gauge {@code cistern_partition_deadletters_entries}) and the
 * newest ones (the dashboard). One short query each, on the partial index of open rows. Read-only; the rows are
 * written by the worker's batch transactions and resolved by {@link DeadLetterReplayer}. Thread-safe (a connection
 * per call).
 */
public final class DeadLetterTable {
    private final DataSource dataSource;

    public DeadLetterTable(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
    }

    /** The open dead letters of each partition that has any; a partition without one is absent. */
    public Map<Integer, Long> openByPartition() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return DeadLetterRows.openByPartition(c);
        }
    }

    /** The newest {@code limit} open dead letters, newest first. */
    public List<RecordedDeadLetter> newestOpen(int limit) throws SQLException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        try (Connection c = dataSource.getConnection()) {
            return DeadLetterRows.newestOpen(c, limit);
        }
    }
}
