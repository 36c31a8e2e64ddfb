package io.cistern.connections;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import javax.sql.DataSource;

/** Builds HikariCP pools from {@link DatabaseSettings}. Needs HikariCP and pgjdbc on the classpath. */
public final class DataSources {
    /** The longest a pooled connection's test on borrow may take before the connection counts as dead. */
    static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(1);

    private DataSources() {}

    /**
     * A pool named {@code poolName} (it appears in every pool log line and in metrics). It does not connect when built,
     * so that a service can start, report itself not ready and wait for the database (see {@link StartupWaiter}).
     */
    public static HikariDataSource create(DatabaseSettings settings, String poolName) {
        return new HikariDataSource(config(settings, poolName));
    }

    /**
     * Whether {@code connection} comes from a pool of {@link #create} behind a transaction-mode pooler ({@code
     * DB_POOLER=pgbouncer}): its transactions may each run in another server session, so nothing may be kept in the
     * session between them, and the backend process ID pgjdbc knows is the pooler's, not a server session's.
     */
    public static boolean isTransactionPooled(Connection connection) throws SQLException {
        return connection.isWrapperFor(TransactionTimeouts.Marker.class);
    }

    /**
     * Behind a transaction-mode pooler the timeouts cannot be startup options: each transaction sets them ({@link
     * TransactionTimeouts}). Whatever opens the pool's connections (the data source chosen above, else the URL, user,
     * password and properties HikariCP would open them with itself) is wrapped so that it does.
     */
    private static void behindTransactionPooler(HikariConfig config, DatabaseSettings settings) {
        DataSource opens = config.getDataSource() != null
                ? config.getDataSource()
                : new DriverDataSource(
                        config.getJdbcUrl(),
                        config.getDriverClassName(),
                        config.getDataSourceProperties(),
                        config.getUsername(),
                        config.getPassword());
        config.setJdbcUrl(null);
        config.setUsername(null);
        config.setPassword(null);
        config.setDataSourceProperties(new Properties());
        config.setDataSource(TransactionTimeouts.wrap(opens, settings));
    }

    /** The pool configuration {@link #create} uses, for callers that adjust it further. */
    public static HikariConfig config(DatabaseSettings settings, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        if (settings.sqlEcho()) {
            // The same URL and driver properties, opened by a data source that logs each statement (values redacted).
            config.setDataSource(StatementEcho.dataSource(settings, poolName));
        } else if (settings.credentials().isPresent()) {
            // Each new connection asks the credentials for its login (a rotated secret, a renewed IAM token).
            config.setDataSource(new LoginDataSource(settings, poolName));
        } else {
            config.setJdbcUrl(settings.jdbcUrl());
            config.setUsername(settings.user());
            settings.password().ifPresent(p -> config.setPassword(p.reveal()));
            settings.driverProperties().forEach((key, value) -> {
                if (!key.equals("user") && !key.equals("password")) {
                    config.addDataSourceProperty((String) key, value);
                }
            });
        }
        if (settings.pooler().poolsTransactions()) {
            behindTransactionPooler(config, settings);
        }
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(Math.min(1, settings.poolSize()));
        config.setConnectionTimeout(settings.connectTimeout().toMillis());
        // HikariCP tests a connection that was idle for more than half a second before handing it out, waiting at most
        // the validation timeout (pgjdbc's isValid, in whole seconds, at least one). A connection whose path died while
        // it was idle fails that test and is closed rather than handed out; each such connection costs the borrower
        // this timeout, so it is short: an empty query answers in milliseconds on a live path. HikariCP also requires
        // it to be shorter than the connection timeout (else it resets both).
        config.setValidationTimeout(Math.max(
                250,
                Math.min(
                        VALIDATION_TIMEOUT.toMillis(), settings.connectTimeout().toMillis() / 2)));
        config.setMaxLifetime(settings.maxLifetime().toMillis());
        config.setKeepaliveTime(settings.keepaliveTime().toMillis());
        // Fail at first use rather than at construction, so that a service can start and report readiness.
        config.setInitializationFailTimeout(-1);
        return config;
    }
}
