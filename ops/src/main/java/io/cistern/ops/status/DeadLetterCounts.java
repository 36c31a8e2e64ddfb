package io.cistern.ops.status;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.sync.DeadLetterTable;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open dead letters per partition as their record of truth, {@code cistern_dead_letter}, counts them: what the
 * status, {@code lag}, the gauge and the dashboard show where the reader has a database.
 *
 * <p><b>While PostgreSQL cannot be read</b> the last counts read are kept, and they stay exact: a dead letter is
 * recorded, replayed or dropped only by a PostgreSQL transaction, so none can appear or go while the database is
 * away from everyone (a reader cut off alone may lag behind the others until it reconnects). Before the first
 * successful read there is no count, and {@link PipelineStatus} falls back to the notices on the partitions'
 * dead-letter streams in Redis.
 *
 * <p>Owns the pool it was made with by {@link #connect} (one connection, connecting on first use) and closes it.
 * Thread-safe.
 */
public final class DeadLetterCounts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterCounts.class);
    static final int TIMEOUT_SECONDS = 2;
    /** The longest a status read waits for a connection to PostgreSQL: the status must not stall on a dead path. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(TIMEOUT_SECONDS);
    /** The count's statement timeout; the socket timeout is twice it, so a silent path is given up in seconds too. */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(TIMEOUT_SECONDS);

    private final DeadLetterTable table;
    private final AutoCloseable owned;
    /** The last counts read; guarded by this. */
    private Map<Integer, Long> last;
    /** Whether the last read failed (to log a failure once, and the recovery); guarded by this. */
    private boolean failing;

    /** The size of the pool {@link #pool} builds. */
    public static final int POOL_SIZE = 1;

    DeadLetterCounts(DataSource dataSource, AutoCloseable owned) {
        this.table = new DeadLetterTable(Objects.requireNonNull(dataSource, "dataSource"));
        this.owned = owned;
    }

    /** Counts from {@code dataSource}, which stays the caller's. */
    public static DeadLetterCounts of(DataSource dataSource) {
        return new DeadLetterCounts(dataSource, null);
    }

    /** Counts through a pool of one connection of its own to {@code database} ({@link #pool}), closed with this. */
    public static DeadLetterCounts connect(DatabaseSettings database) {
        HikariDataSource pool = pool(database);
        return new DeadLetterCounts(pool, pool);
    }

    /**
     * A pool of one connection to {@code database} for reads that watch the pipeline: connecting on first use, and
     * giving up within seconds on a dead path ({@value #TIMEOUT_SECONDS} s to connect, the same as statement timeout,
     * twice that as socket timeout), so that a status read never stalls behind the database.
     */
    public static HikariDataSource pool(DatabaseSettings database) {
        Objects.requireNonNull(database, "database");
        DatabaseSettings one = database.mutate()
                .poolSize(POOL_SIZE)
                .connectTimeout(
                        database.connectTimeout().compareTo(CONNECT_TIMEOUT) < 0
                                ? database.connectTimeout()
                                : CONNECT_TIMEOUT)
                .statementTimeout(STATEMENT_TIMEOUT)
                .socketTimeout(STATEMENT_TIMEOUT.multipliedBy(2))
                .build();
        return DataSources.create(one, "cistern-status");
    }

    /**
     * The open dead letters of each partition (absent: none), read now, or the last counts read when PostgreSQL cannot
     * be read now; empty when it has never been read.
     */
    public synchronized Optional<Map<Integer, Long>> read() {
        try {
            last = Map.copyOf(table.openByPartition());
            if (failing) {
                LOG.info("dead-letter counts: cistern_dead_letter can be read again");
                failing = false;
            }
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                LOG.warn(
                        "dead-letter counts: cannot read cistern_dead_letter ({}); showing {} until it can be read",
                        e.getMessage(),
                        last == null ? "the notices on the Redis dead-letter streams" : "the last counts read");
                failing = true;
            }
        }
        return Optional.ofNullable(last);
    }

    @Override
    public void close() throws Exception {
        if (owned != null) {
            owned.close();
        }
    }
}
