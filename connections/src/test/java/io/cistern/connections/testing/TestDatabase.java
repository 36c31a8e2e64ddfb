package io.cistern.connections.testing;

import com.zaxxer.hikari.HikariConfig;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test class's own PostgreSQL database on the shared test server, created empty and dropped on close, so tests can
 * run against a shared server repeatedly and in any order.
 *
 * <p>The component under test reaches it through {@link #poolConfig(String)} (or {@link #settings()}): directly, or,
 * when the JVM runs with the system property {@value #POOLER_PROPERTY}{@code =pgbouncer} (the failsafe plugin's second
 * execution in {@code sync-worker} and {@code redis-proxy/reader}, see docs/development.md), through the JVM's shared
 * {@link PrivatePgBouncer} in transaction mode with {@code DB_POOLER=pgbouncer}. The test's own checks ({@link
 * #connect()}, {@link #execute}) always go directly.
 */
public final class TestDatabase implements AutoCloseable {
    /** The system property that makes the components under test reach their databases through PgBouncer. */
    public static final String POOLER_PROPERTY = "cistern.test.pooler";

    private final String adminUrl;
    private final String name;
    private final String url;

    private TestDatabase(String adminUrl, String name) {
        this.adminUrl = adminUrl;
        this.name = name;
        this.url = adminUrl.replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name);
    }

    /** Creates a fresh database named after {@code hint}. */
    public static TestDatabase create(String hint) {
        String safe = hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        String name = "cistern_it_" + safe.substring(0, Math.min(30, safe.length())) + "_"
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        String admin = TestServers.adminDatabaseUrl();
        try (Connection c = DriverManager.getConnection(admin);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + " at " + admin, e);
        }
        return new TestDatabase(admin, name);
    }

    /** The JDBC URL of this database, with the user as a parameter. */
    public String jdbcUrl() {
        return url;
    }

    public String name() {
        return name;
    }

    /** Whether this JVM's tests run the components under test through PgBouncer ({@value #POOLER_PROPERTY}). */
    public static boolean behindPooler() {
        String pooler = System.getProperty(POOLER_PROPERTY, "none").strip();
        if (pooler.equals("pgbouncer")) {
            return true;
        }
        if (pooler.isEmpty() || pooler.equals("none")) {
            return false;
        }
        throw new IllegalArgumentException(POOLER_PROPERTY + " must be pgbouncer or none, was '" + pooler + "'");
    }

    /**
     * The settings a component under test reaches this database with: {@code DATABASE_URL} alone (its timeouts and
     * pool defaults), or through the shared PgBouncer with {@code DB_POOLER=pgbouncer} when {@link #behindPooler()}.
     */
    public DatabaseSettings settings() {
        return settings(Map.of());
    }

    /** {@link #settings()} with further variables ({@code DB_STATEMENT_TIMEOUT_MS}, say). */
    public DatabaseSettings settings(Map<String, String> variables) {
        if (behindPooler()) {
            return throughPgBouncer(variables);
        }
        Map<String, String> env = new java.util.HashMap<>(variables);
        env.put("DATABASE_URL", url);
        return DatabaseSettings.fromEnvironment(env);
    }

    /**
     * Settings that reach this database through the JVM's shared {@link PrivatePgBouncer} (transaction mode) with
     * {@code DB_POOLER=pgbouncer}, whatever {@link #behindPooler()} says, with further {@code variables}.
     */
    public DatabaseSettings throughPgBouncer(Map<String, String> variables) {
        Map<String, String> env = new java.util.HashMap<>(variables);
        env.put("DATABASE_URL", PrivatePgBouncer.shared().jdbcUrl(name));
        env.put("DB_POOLER", "pgbouncer");
        return DatabaseSettings.fromEnvironment(env);
    }

    /**
     * A pool configuration for the component under test, named {@code poolName}: the plain JDBC URL as before, or,
     * behind the pooler, {@link DataSources#config} of {@link #settings()} (which sets each transaction's timeouts).
     */
    public HikariConfig poolConfig(String poolName) {
        if (behindPooler()) {
            return DataSources.config(settings(), poolName);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName(poolName);
        return config;
    }

    /** A new connection; the caller closes it. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    /** Runs SQL statements in autocommit. */
    public void execute(String... sql) {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed in " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(adminUrl);
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name, e);
        }
    }
}
