package io.cistern.ops.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisDeployment;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A benchmark run's own database on the configured PostgreSQL server: created empty ({@code CREATE DATABASE
 * cistern_bench_<random>}, through the configured database) and dropped on close, so a run never touches the user's
 * tables. Not thread-safe; connections it hands out are.
 */
final class BenchDatabase implements AutoCloseable {
    private final DatabaseSettings admin;
    private final DatabaseSettings settings;

    private BenchDatabase(DatabaseSettings admin, DatabaseSettings settings) {
        this.admin = admin;
        this.settings = settings;
    }

    /** Creates {@code cistern_bench_<random>} on the server {@code configured} points at. */
    static BenchDatabase create(DatabaseSettings configured) {
        String name =
                "cistern_bench_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        try (Connection c = DriverManager.getConnection(configured.jdbcUrl(), configured.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "bench: cannot create database " + name + " on "
                            + configured.hosts() + " as " + configured.user() + " (the user needs CREATEDB): "
                            + e.getMessage(),
                    e);
        }
        return new BenchDatabase(configured, withDatabase(configured, name, configured.poolSize()));
    }

    /** The settings of the bench database. */
    DatabaseSettings settings() {
        return settings;
    }

    /**
     * {@code ops/cistern init} for a scenario: this database's tables and partitions, and on {@code redis} (every master
     * of a cluster) the Function library and each partition's meta.
     */
    TableRegistry init(RedisDeployment redis, KeyLayout layout, int partitions) {
        try (HikariDataSource init = DataSources.create(settings(2), "bench-init")) {
            return new Initializer(init, redis.sync(), redis::masterCommands)
                    .run(InitOptions.defaults(layout).withPartitions(partitions))
                    .registry();
        }
    }

    /** The settings of the bench database with a pool of {@code poolSize}. */
    DatabaseSettings settings(int poolSize) {
        return withDatabase(settings, settings.database(), poolSize);
    }

    String name() {
        return settings.database();
    }

    /** A new connection to the bench database, outside any pool; the caller closes it. */
    Connection connect() throws SQLException {
        return DriverManager.getConnection(settings.jdbcUrl(), settings.driverProperties());
    }

    /** Runs statements in autocommit on a short-lived connection (its statistics are flushed when it closes). */
    void execute(String... sql) {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("bench: SQL failed in " + name() + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row of {@code query}, as a long. */
    long queryLong(String query) {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("bench: query failed in " + name() + ": " + e.getMessage(), e);
        }
    }

    /** The server's version string, e.g. "15.20". */
    String serverVersion() {
        try (Connection c = connect()) {
            return c.getMetaData().getDatabaseProductVersion();
        } catch (SQLException e) {
            return "?";
        }
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name() + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "bench: cannot drop database " + name() + "; drop it by hand: " + e.getMessage(), e);
        }
    }

    private static DatabaseSettings withDatabase(DatabaseSettings s, String database, int poolSize) {
        return s.mutate().database(database).poolSize(poolSize).build();
    }
}
