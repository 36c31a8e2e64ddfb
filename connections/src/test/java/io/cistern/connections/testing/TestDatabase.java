package io.cistern.connections.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test class's own PostgreSQL database on the shared test server, created empty and dropped on close, so tests can
 * run against a shared server repeatedly and in any order.
 */
public final class TestDatabase implements AutoCloseable {
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
