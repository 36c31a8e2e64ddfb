package io.cistern.spring.boot;

import io.cistern.schema.failure.SqlStates;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code cisternDatabase}: whether PostgreSQL answers and holds Cistern's tables, within a time limit of its own (a
 * pool's connection timeout is often 30 s). While PostgreSQL is down this is {@code DOWN}, and writes still succeed:
 * keep it out of the readiness group of an application that only writes (docs/spring-boot.md). Thread-safe.
 */
final class CisternDatabaseHealthIndicator implements HealthIndicator {
    private static final String QUERY = "SELECT count(*) FROM cistern_partition";

    private final DataSource dataSource;
    private final Duration timeout;

    CisternDatabaseHealthIndicator(DataSource dataSource, Duration timeout) {
        this.dataSource = dataSource;
        this.timeout = timeout;
    }

    @Override
    public Health health() {
        CompletableFuture<Long> partitions = new CompletableFuture<>();
        Thread.ofVirtual().name("cistern-database-health").start(() -> {
            try {
                partitions.complete(countPartitions());
            } catch (SQLException | RuntimeException e) {
                partitions.completeExceptionally(e);
            }
        });
        try {
            long count = partitions.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return Health.up().withDetail("partitions", count).build();
        } catch (TimeoutException e) {
            return Health.down()
                    .withDetail("error", "PostgreSQL did not answer within " + timeout.toMillis() + " ms")
                    .build();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String reason = SqlStates.classify(cause).is(SqlStates.UNDEFINED_TABLE)
                    ? "Cistern's tables are missing from this database: run `ops/cistern init`"
                    : cause.getClass().getSimpleName() + ": " + cause.getMessage();
            return Health.down().withDetail("error", reason).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().withDetail("error", "interrupted").build();
        }
    }

    private long countPartitions() throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            try (ResultSet rs = s.executeQuery(QUERY)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
