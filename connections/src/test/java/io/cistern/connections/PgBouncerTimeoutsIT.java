package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.testing.PrivatePgBouncer;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pool of {@link DataSources} with {@code DB_POOLER=pgbouncer}, through a real PgBouncer in transaction mode in front
 * of the shared server: the statement timeout fires in every kind of transaction (an autocommit statement, prepared or
 * plain; a transaction's first statement; one after a commit; one that begins with a savepoint or a batch), statements
 * still answer with their own results, and nothing set for a transaction stays in the server session PgBouncer hands
 * to the next client. And without {@code DB_POOLER}, PgBouncer's refusal of the startup options names the setting.
 */
class PgBouncerTimeoutsIT {
    /** Short enough for a test, long enough for any statement that does not sleep. */
    private static final Duration STATEMENT_TIMEOUT = Duration.ofMillis(400);

    private static TestDatabase db;
    private static PrivatePgBouncer bouncer;
    private static HikariDataSource pool;

    @BeforeAll
    static void start() {
        db = TestDatabase.create("bouncertimeouts");
        db.execute("CREATE TABLE item (id int PRIMARY KEY, note text)");
        DatabaseSettings.Host server = DatabaseSettings.ofJdbcUrl(TestServers.adminDatabaseUrl())
                .hosts()
                .getFirst();
        bouncer = PrivatePgBouncer.start(server.host(), server.port());
        pool = DataSources.create(settings(Map.of("DB_POOLER", "pgbouncer")), "bouncer-test");
    }

    @AfterAll
    static void stop() {
        if (pool != null) {
            pool.close();
        }
        if (bouncer != null) {
            bouncer.close();
        }
        db.close();
    }

    private static DatabaseSettings settings(Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(more);
        env.put("DATABASE_URL", bouncer.jdbcUrl(db.name()));
        env.put("DB_STATEMENT_TIMEOUT_MS", Long.toString(STATEMENT_TIMEOUT.toMillis()));
        env.put("DB_POOL_SIZE", "2");
        return DatabaseSettings.fromEnvironment(env);
    }

    @Test
    void autocommitPreparedStatement_timesOut() throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT pg_sleep(?)")) {
            ps.setDouble(1, 5);

            assertTimesOut(ps::executeQuery);
        }
    }

    @Test
    void autocommitPlainStatement_timesOut() throws SQLException {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            assertTimesOut(() -> s.executeQuery("SELECT pg_sleep(5)"));
        }
    }

    @Test
    void transactionsFirstStatement_andTheNextTransactionsToo_timeOut() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement sleep = c.prepareStatement("SELECT pg_sleep(5)")) {
                assertTimesOut(sleep::executeQuery);
                c.rollback();
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT 1").close();
                }
                c.commit();

                assertTimesOut(sleep::executeQuery);
            }
            c.rollback();
        }
    }

    @Test
    void laterStatementOfATransaction_timesOut() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO item VALUES (100, 'first')");

                assertTimesOut(() -> s.executeQuery("SELECT pg_sleep(5)"));
            }
            c.rollback();
        }
    }

    @Test
    void transactionThatBeginsWithASavepoint_keepsItsTimeoutAfterRollingBackToIt() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            Savepoint savepoint = c.setSavepoint();
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO item VALUES (200, 'undone')");
            }
            c.rollback(savepoint);

            try (PreparedStatement sleep = c.prepareStatement("SELECT pg_sleep(5)")) {
                assertTimesOut(sleep::executeQuery);
            }
            c.rollback();
        }
    }

    @Test
    void transactionThatBeginsWithABatch_isBatched_andTimesOut() throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            int[] counts;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO item VALUES (?, ?)")) {
                for (int id = 300; id < 303; id++) {
                    ps.setInt(1, id);
                    ps.setString(2, "batched");
                    ps.addBatch();
                }
                counts = ps.executeBatch();
            }

            assertThat(counts).containsExactly(1, 1, 1);
            try (Statement s = c.createStatement()) {
                assertTimesOut(() -> s.executeQuery("SELECT pg_sleep(5)"));
            }
            c.rollback();
        }
    }

    @Test
    void autocommitBatch_isApplied() throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO item VALUES (?, ?)")) {
            ps.setInt(1, 400);
            ps.setString(2, "one");
            ps.addBatch();
            ps.setInt(1, 401);
            ps.setString(2, "two");
            ps.addBatch();

            assertThat(ps.executeBatch()).containsExactly(1, 1);
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(count("id IN (400, 401)")).isEqualTo(2);
    }

    @Test
    void autocommitBatch_timesOut_andCommitsNothing() throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO item SELECT ?, ? FROM pg_sleep(?)")) {
            ps.setInt(1, 410);
            ps.setString(2, "quick");
            ps.setDouble(3, 0);
            ps.addBatch();
            ps.setInt(1, 411);
            ps.setString(2, "slow");
            ps.setDouble(3, 5);
            ps.addBatch();

            assertTimesOut(ps::executeBatch);
            assertThat(c.getAutoCommit()).isTrue();
        }
        assertThat(count("id IN (410, 411)")).isZero();
    }

    @Test
    void statementsAnswerWithTheirOwnResults() throws SQLException {
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?), (?, ?)")) {
                insert.setInt(1, 500);
                insert.setString(2, "a");
                insert.setInt(3, 501);
                insert.setString(4, "b");
                assertThat(insert.executeUpdate()).isEqualTo(2);
            }
            try (PreparedStatement update =
                    c.prepareStatement("UPDATE item SET note = 'c' WHERE id >= ? AND id < 600 RETURNING id")) {
                update.setInt(1, 500);
                try (ResultSet rs = update.executeQuery()) {
                    int rows = 0;
                    while (rs.next()) {
                        rows++;
                    }
                    assertThat(rows).isEqualTo(2);
                }
            }
            try (Statement s = c.createStatement()) {
                assertThat(s.execute("SELECT current_setting('statement_timeout')"))
                        .isTrue();
                try (ResultSet rs = s.getResultSet()) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo(STATEMENT_TIMEOUT.toMillis() + "ms");
                }
                assertThat(s.getMoreResults()).isFalse();
                assertThat(s.executeUpdate("DELETE FROM item WHERE id >= 500 AND id < 600"))
                        .isEqualTo(2);
            }
        }
    }

    @Test
    void withSqlEcho_theTimeoutStillFires() throws SQLException {
        try (HikariDataSource echoing = DataSources.create(
                        settings(Map.of("DB_POOLER", "pgbouncer", "SQL_ECHO", "true")), "bouncer-echo-test");
                Connection c = echoing.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT pg_sleep(5)")) {
            assertTimesOut(ps::executeQuery);
        }
    }

    @Test
    void applicationName_reachesTheServer_throughTheStartupPacket() throws SQLException {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('application_name')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("cistern");
        }
    }

    @Test
    void nothingStaysInTheServerSession() throws SQLException {
        for (int i = 0; i < 5; i++) {
            try (Connection c = pool.getConnection();
                    Statement s = c.createStatement()) {
                s.executeQuery("SELECT 1").close();
            }
        }

        // A plain client of the same PgBouncer pool gets one of the server sessions the pool's transactions ran in.
        try (Connection plain = DriverManager.getConnection(bouncer.jdbcUrl(db.name()) + "&prepareThreshold=0");
                Statement s = plain.createStatement();
                ResultSet rs = s.executeQuery("SHOW statement_timeout")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("0");
        }
    }

    @Test
    void withoutThePoolerSetting_pgBouncersRefusal_namesDbPooler() {
        DatabaseSettings direct = settings(Map.of());

        assertThatThrownBy(() -> DriverManager.getConnection(direct.jdbcUrl(), direct.driverProperties())
                        .close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("unsupported startup parameter");
        ConnectionFailure failure = ConnectionFailureTranslator.translate(catchFailure(direct), direct);
        assertThat(failure.getMessage()).contains("DB_POOLER=pgbouncer");
    }

    private static SQLException catchFailure(DatabaseSettings settings) {
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.driverProperties())) {
            throw new AssertionError("PgBouncer accepted the startup options");
        } catch (SQLException e) {
            return e;
        }
    }

    private interface Sql {
        Object run() throws SQLException;
    }

    private static void assertTimesOut(Sql statement) {
        long started = System.nanoTime();
        assertThatThrownBy(statement::run)
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    }

    private static int count(String where) throws SQLException {
        try (Connection c = db.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM item WHERE " + where)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
