package io.cistern.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DatabaseSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolAnnouncer;
import io.lettuce.core.AbstractRedisClient;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces the application's PostgreSQL pool in Redis ({@link PoolAnnouncer}) once Cistern's reader or embedded sync
 * worker borrows from it, so that {@code ops/cistern doctor} counts it against {@code max_connections}: component
 * {@value #COMPONENT}, the pool's maximum size, and the host, port and database of its JDBC URL. One announcement per
 * application, however many of Cistern's beans use the pool; none when the application replaced them with its own.
 *
 * <p>Only a HikariCP pool (Spring Boot's default) with a PostgreSQL JDBC URL can be described; any other DataSource is
 * not announced (logged once), and {@code doctor --database-clients} has to plan for it. Closed, which withdraws the
 * announcement, before the application's Redis client ({@link ClosedBeforeRedisClient}). Thread-safe.
 */
final class ApplicationPoolAnnouncement implements AutoCloseable {
    static final String COMPONENT = DatabasePool.APPLICATION;

    private static final Logger LOG = LoggerFactory.getLogger(ApplicationPoolAnnouncement.class);
    private static final String HIKARI = "com.zaxxer.hikari.HikariDataSource";

    private PoolAnnouncer announcer;
    private boolean asked;
    private boolean closed;

    /**
     * Starts announcing {@code dataSource}'s pool, when it can be described and is not announced yet; returns at once.
     */
    synchronized void announce(DataSource dataSource, AbstractRedisClient redis, KeyLayout layout) {
        if (asked || closed) {
            return;
        }
        asked = true;
        Optional<DatabasePool> pool = describe(dataSource);
        if (pool.isEmpty()) {
            LOG.info(
                    "the application's DataSource ({}) is not a HikariCP pool with a PostgreSQL JDBC URL: not announced"
                            + " for ops/cistern doctor's max_connections check (plan for it with --database-clients)",
                    dataSource.getClass().getName());
            return;
        }
        announcer = PoolAnnouncer.start(redis, layout, pool.get(), PoolAnnouncer.DEFAULT_LIFETIME);
    }

    /** The pool as it would be announced; empty when the DataSource cannot be described. */
    static Optional<DatabasePool> describe(DataSource dataSource) {
        if (!isPresent()) {
            return Optional.empty();
        }
        return Hikari.describe(dataSource);
    }

    private static boolean isPresent() {
        try {
            Class.forName(HIKARI, false, ApplicationPoolAnnouncement.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (announcer != null) {
            announcer.close();
            announcer = null;
        }
    }

    /** Touches HikariCP, an optional dependency: loaded only once it is known to be there. */
    private static final class Hikari {
        static Optional<DatabasePool> describe(DataSource dataSource) {
            HikariDataSource hikari = unwrap(dataSource);
            if (hikari == null || hikari.getJdbcUrl() == null) {
                return Optional.empty();
            }
            try {
                DatabaseSettings target = DatabaseSettings.ofJdbcUrl(hikari.getJdbcUrl());
                return Optional.of(DatabasePool.ofThisProcess(
                        COMPONENT,
                        hikari.getMaximumPoolSize(),
                        DatabasePool.database(target.hosts(), target.database())));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        private static HikariDataSource unwrap(DataSource dataSource) {
            if (dataSource instanceof HikariDataSource h) {
                return h;
            }
            try {
                return dataSource.isWrapperFor(HikariDataSource.class)
                        ? dataSource.unwrap(HikariDataSource.class)
                        : null;
            } catch (SQLException | RuntimeException e) {
                return null;
            }
        }
    }
}
