package io.cistern.connections;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** Builds HikariCP pools from {@link DatabaseSettings}. Needs HikariCP and pgjdbc on the classpath. */
public final class DataSources {
    private DataSources() {}

    /** A pool named {@code poolName} (it appears in every pool log line and in metrics). */
    public static HikariDataSource create(DatabaseSettings settings, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        settings.password().ifPresent(p -> config.setPassword(p.reveal()));
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(Math.min(1, settings.poolSize()));
        config.setConnectionTimeout(settings.connectTimeout().toMillis());
        // Fail at first use rather than at construction, so that a service can start and report readiness.
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }
}
