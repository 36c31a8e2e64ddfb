package io.cistern.sync;

import static io.cistern.schema.codec.Operation.PUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.schema.codec.ChangeEntry;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's transaction through a real PgBouncer in transaction mode ({@code DB_POOLER=pgbouncer}), where the
 * timeouts cannot travel as startup options: a statement of the apply that waits on a lock is cancelled by the server
 * at {@code DB_STATEMENT_TIMEOUT_MS}, and the batch fails as retryable, then applies once the lock is gone. The wait is
 * on the fence row, the transaction's last statement: the timeout set with the transaction's first statement holds to
 * its end.
 */
class WorkerThroughPgBouncerIT {
    private static final Duration STATEMENT_TIMEOUT = Duration.ofMillis(500);

    private static SyncFixture fx;
    private static HikariDataSource pool;
    private static BatchApplier applier;
    private static long token;

    @BeforeAll
    static void start() throws Exception {
        fx = new SyncFixture(WorkerThroughPgBouncerIT.class.getSimpleName());
        pool = DataSources.create(
                fx.db.throughPgBouncer(Map.of(
                        "DB_STATEMENT_TIMEOUT_MS", Long.toString(STATEMENT_TIMEOUT.toMillis()), "DB_POOL_SIZE", "2")),
                "worker-through-pgbouncer");
        applier = new BatchApplier(pool, fx.registry);
        token = new FenceTokens(pool).next(0);
    }

    @AfterAll
    static void stop() {
        pool.close();
        fx.close();
    }

    @Test
    void statementWaitingOnALock_isCancelledAtTheStatementTimeout_andTheBatchIsRetryable() throws Exception {
        String doc = UUID.randomUUID().toString();
        List<ChangeEntry> batch = List.of(fx.entry("source_documents", doc, PUT, 1, Map.of("filename", "\"a.pdf\"")));
        try (Connection blocker = fx.db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("SELECT * FROM cistern_partition WHERE partition = 0 FOR UPDATE");
            long started = System.nanoTime();

            assertThatThrownBy(() -> applier.apply(0, token, batch, 1, false))
                    .isInstanceOf(BatchFailedException.class)
                    .satisfies(e -> {
                        SqlFailureTranslator.Classified c = ((BatchFailedException) e).classified();
                        assertThat(c.sqlState()).isEqualTo("57014");
                        assertThat(c.kind()).isEqualTo(SqlFailureTranslator.Kind.RETRYABLE);
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            blocker.rollback();
        }
        assertThat(fx.row("source_documents", "document_uuid = '" + doc + "'")).isEmpty();

        ApplyResult retried = applier.apply(0, token, batch, 2, false);

        assertThat(retried.deadLetters()).isEmpty();
        assertThat(fx.row("source_documents", "document_uuid = '" + doc + "'"))
                .hasValueSatisfying(row -> assertThat(row).containsEntry("filename", "a.pdf"));
    }
}
