package io.cistern.writer.http;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;

/**
 * A real sync worker for a test, started at once, with short lease, linger and backoff so the flush barrier answers
 * quickly on two shared cores; its pool fails fast (1 s) while the database is down. Closes the worker, then the pool.
 */
final class RunningSyncWorker implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final SyncWorker worker;

    RunningSyncWorker(String jdbcUrl, KeyLayout layout, RedisClient redisClient) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername("postgres");
        config.setPoolName("flush-barrier-test");
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(1_000);
        config.setInitializationFailTimeout(-1);
        dataSource = new HikariDataSource(config);
        SyncSettings settings = SyncSettings.defaults(layout)
                .mutate()
                .linger(Duration.ofMillis(5))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .parentMissingTimeout(Duration.ofMillis(200))
                .build();
        TableRegistry registry;
        try (StatefulRedisConnection<String, String> c = redisClient.connect()) {
            registry = new RedisRegistry(c.sync(), layout).load();
        }
        worker = new SyncWorker(settings, registry, dataSource, redisClient);
        worker.start();
    }

    @Override
    public void close() {
        try {
            worker.close();
        } finally {
            dataSource.close();
        }
    }
}
