package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.schema.registry.TableDef;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy's database read, an autocommit statement, through a real PgBouncer in transaction mode ({@code
 * DB_POOLER=pgbouncer}): it answers with its rows, and when it waits on a lock the server cancels it at {@code
 * DB_STATEMENT_TIMEOUT_MS}, long before the read's own client-side timeout would.
 */
class ReadThroughPgBouncerIT {
    private static final Duration STATEMENT_TIMEOUT = Duration.ofMillis(300);
    /** The read's own (client-side) timeout, far longer than the statement timeout, so the two cannot be confused. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    private static ReaderFixture fx;
    private static HikariDataSource pool;
    private static DatabaseRows rows;
    private static TableDef documents;

    @BeforeAll
    static void start() {
        fx = ReaderFixture.shared("readthroughpgbouncer");
        pool = DataSources.create(
                fx.database()
                        .throughPgBouncer(Map.of(
                                "DB_STATEMENT_TIMEOUT_MS",
                                Long.toString(STATEMENT_TIMEOUT.toMillis()),
                                "DB_POOL_SIZE",
                                "2")),
                "reader-through-pgbouncer");
        rows = new DatabaseRows(pool, READ_TIMEOUT);
        documents = fx.registry.table("source_documents").orElseThrow();
    }

    @AfterAll
    static void stop() {
        pool.close();
        fx.close();
    }

    @Test
    void rowInPostgres_isReadThroughPgBouncer() throws SQLException {
        String doc = UUID.randomUUID().toString();
        fx.insertDocument(doc, "read.pdf", "registered", 7);

        DatabaseRows.Rows read =
                rows.read(documents, List.of(doc, UUID.randomUUID().toString()));

        assertThat(read.rows()).containsOnlyKeys(doc);
        assertThat(read.rows().get(doc).version()).isEqualTo(7);
        assertThat(read.rows().get(doc).columns().get("filename")).contains("read.pdf");
    }

    @Test
    void readWaitingOnALock_isCancelledAtTheStatementTimeout() throws SQLException {
        String doc = UUID.randomUUID().toString();
        try (Connection blocker = fx.database().connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE source_documents IN ACCESS EXCLUSIVE MODE");
            long started = System.nanoTime();

            assertThatThrownBy(() -> rows.read(documents, List.of(doc)))
                    .satisfies(e -> assertThat(sqlState(e)).isEqualTo("57014"));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            blocker.rollback();
        }
    }

    private static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
        }
        return null;
    }
}
