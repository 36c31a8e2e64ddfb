package io.cistern.spring.boot;

import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The embedded sync worker, when {@code cistern.sync.embedded.enabled=true}: for small deployments that do not run
 * {@code ops/cistern sync-worker} beside the application. It uses the application's Redis client and DataSource (one
 * connection per batch being applied), shares the partitions with every other worker through leases, and stops
 * gracefully with the context ({@link EmbeddedSyncWorker}).
 */
@AutoConfiguration(
        after = CisternAutoConfiguration.class,
        afterName = {
            "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
@ConditionalOnClass({SyncWorker.class, DataSource.class})
@ConditionalOnProperty(name = "cistern.sync.embedded.enabled", havingValue = "true")
public final class CisternSyncWorkerAutoConfiguration {
    /** The partition loops block on Redis for up to this long per read; the command timeout must allow it. */
    static final Duration MIN_COMMAND_TIMEOUT = Duration.ofSeconds(1);

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean({RedisConnectionFactory.class, DataSource.class})
    EmbeddedSyncWorker cisternEmbeddedSyncWorker(
            CisternProperties properties,
            RedisConnectionFactory redis,
            DataSource dataSource,
            ObjectProvider<MeterRegistry> meters,
            ApplicationPoolAnnouncement pool) {
        Duration commandTimeout = SpringRedis.describe(redis).commandTimeout();
        if (commandTimeout.compareTo(MIN_COMMAND_TIMEOUT) < 0) {
            throw new IllegalStateException("spring.data.redis.timeout is " + commandTimeout.toMillis()
                    + " ms, but the embedded sync worker blocks up to 500 ms on each stream read: set it to at least "
                    + MIN_COMMAND_TIMEOUT.toMillis() + " ms, or set cistern.sync.embedded.enabled=false");
        }
        pool.announce(dataSource, SpringRedis.anyClient(redis), ComponentSettings.layout(properties));
        // Batch sizes, apply latency, retries, dead letters, lease changes and write-to-commit (cistern.sync.*).
        return new EmbeddedSyncWorker(
                settings(properties),
                dataSource,
                SpringRedis.anyClient(redis),
                meters.getIfAvailable(CompositeMeterRegistry::new));
    }

    /**
     * Announces the application's pool for {@code ops/cistern doctor} once a Cistern bean uses it (declared here and in
     * the other of the reader's and the embedded worker's configurations; one is created).
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    ApplicationPoolAnnouncement cisternApplicationPoolAnnouncement(ClosedBeforeRedisClient closer) {
        return closer.register(new ApplicationPoolAnnouncement());
    }

    /**
     * The worker's settings: its defaults (with the default buffer limits, replaced by those PostgreSQL records at
     * start), with the key prefix and each property that is set laid over.
     */
    static SyncSettings settings(CisternProperties properties) {
        CisternProperties.Sync s = properties.getSync();
        SyncSettings.Builder settings =
                SyncSettings.defaults(ComponentSettings.layout(properties)).mutate();
        if (s.getWorkerId() != null && !s.getWorkerId().isBlank()) {
            settings.workerId(s.getWorkerId());
        }
        ComponentSettings.ifSet(s.getBatchSize(), settings::batchSize);
        ComponentSettings.ifSet(s.getLinger(), settings::linger);
        ComponentSettings.ifSet(s.getLeaseTime(), settings::leaseTime);
        ComponentSettings.ifSet(s.getRenewInterval(), settings::renewInterval);
        ComponentSettings.ifSet(s.getParentMissingTimeout(), settings::parentMissingTimeout);
        ComponentSettings.ifSet(s.getBackoffInitial(), settings::backoffInitial);
        ComponentSettings.ifSet(s.getBackoffMax(), settings::backoffMax);
        ComponentSettings.ifSet(s.getDrainTimeout(), settings::drainTimeout);
        ComponentSettings.ifSet(s.getTrimInterval(), settings::trimInterval);
        ComponentSettings.ifSet(s.getSyncedHashTtl(), settings::syncedHashTtl);
        ComponentSettings.ifSet(s.getStallTimeout(), settings::stallTimeout);
        ComponentSettings.ifSet(s.getEntryFormat(), settings::entryFormat);
        return settings.build();
    }
}
