package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestServers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each alias family reaches a real PostgreSQL (the shared test server, which trusts its clients: password and TLS are
 * checked by the unit tests) with the settings it means: database, user, application name and the session timeouts
 * the server itself reports.
 */
class DatabaseAliasesIT {
    private static TestDatabase db;
    private static DatabaseSettings.Host server;
    private static String user;

    @BeforeAll
    static void database() {
        db = TestDatabase.create("aliases");
        DatabaseSettings admin = DatabaseSettings.ofJdbcUrl(TestServers.adminDatabaseUrl());
        server = admin.hosts().get(0);
        user = admin.user();
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void databaseFamily_withThePoolFamily() throws SQLException {
        Map<String, String> env = Map.of(
                "DATABASE_HOST", server.host(),
                "DATABASE_PORT", Integer.toString(server.port()),
                "DATABASE_NAME", db.name(),
                "DATABASE_USER", user,
                "DATABASE_PASSWORD", "unused-by-trust",
                "DB_POOL_SIZE", "1",
                "DB_MAX_OVERFLOW", "1",
                "DB_POOL_TIMEOUT", "10",
                "DB_IDLE_TIMEOUT", "15000",
                "DB_READ_TIMEOUT", "45");

        assertThat(sessionOf(env)).isEqualTo(db.name() + "|" + user + "|15s|cistern|2");
    }

    @Test
    void awsDbFamily() throws SQLException {
        Map<String, String> env = Map.of(
                "AWS_DB_HOST",
                server.host(),
                "AWS_DB_PORT",
                Integer.toString(server.port()),
                "AWS_DB_NAME",
                db.name(),
                "AWS_DB_USER",
                user,
                "AWS_DB_PASSWORD",
                "unused-by-trust",
                "AWS_REQUIRE_SSL",
                "false");

        assertThat(sessionOf(env)).isEqualTo(db.name() + "|" + user + "|1min|cistern|4");
    }

    @Test
    void sqlalchemyUrl_withLibpqParameters() throws SQLException {
        Map<String, String> env = Map.of(
                "DATABASE_URL",
                "postgresql+asyncpg://" + user + "@" + server + "/" + db.name()
                        + "?application_name=gateway&connect_timeout=10",
                "DB_IDLE_TIMEOUT",
                "20000");

        assertThat(sessionOf(env)).isEqualTo(db.name() + "|" + user + "|20s|gateway|4");
    }

    /** Database, user, idle-in-transaction timeout and application name as the server reports them, and pool size. */
    private static String sessionOf(Map<String, String> env) throws SQLException {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env);
        try (HikariDataSource pool = DataSources.create(settings, "aliases-it");
                Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_database(), current_user,"
                        + " current_setting('idle_in_transaction_session_timeout'),"
                        + " current_setting('application_name')")) {
            rs.next();
            return rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
                    + pool.getMaximumPoolSize();
        }
    }
}
