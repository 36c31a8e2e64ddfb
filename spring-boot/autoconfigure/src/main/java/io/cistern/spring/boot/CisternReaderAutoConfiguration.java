package io.cistern.spring.boot;

import io.cistern.reader.CachedReader;
import io.cistern.reader.ReaderSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
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
 * A {@link CachedReader} on the application's Redis client (any topology) and {@link DataSource}, with its meters ({@code
 * cistern.proxy.*}) in the application's {@link MeterRegistry}. Present when {@code cistern-reader} is on the classpath
 * and the application has a DataSource; {@code cistern.reader.enabled=false} or a bean of your own replaces it.
 */
@AutoConfiguration(
        after = CisternAutoConfiguration.class,
        afterName = {
            "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"
        })
@ConditionalOnClass({CachedReader.class, DataSource.class, MeterRegistry.class})
@ConditionalOnProperty(name = "cistern.reader.enabled", havingValue = "true", matchIfMissing = true)
public final class CisternReaderAutoConfiguration {

    /** The reader, closed with the context before the Redis client (its own connections only). */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    @ConditionalOnBean({RedisConnectionFactory.class, DataSource.class})
    CachedReader cisternCachedReader(
            CisternProperties properties,
            RedisConnectionFactory redis,
            DataSource dataSource,
            ObjectProvider<MeterRegistry> meters,
            ClosedBeforeRedisClient closer,
            ApplicationPoolAnnouncement pool) {
        // A single server, a Sentinel master or a Redis Cluster (spring.data.redis.cluster.nodes): on a cluster the
        // reader reads each key on its master's node connection, with client tracking on every master.
        CachedReader reader = closer.register(CachedReader.create(
                settings(properties),
                SpringRedis.anyClient(redis),
                SpringRedis.describe(redis),
                dataSource,
                meters.getIfAvailable(CompositeMeterRegistry::new)));
        pool.announce(dataSource, SpringRedis.anyClient(redis), ComponentSettings.layout(properties));
        return reader;
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

    /** The reader's settings: its defaults, with the key prefix and each property that is set laid over. */
    static ReaderSettings settings(CisternProperties properties) {
        CisternProperties.Reader r = properties.getReader();
        ReaderSettings.Builder settings =
                ReaderSettings.defaults().mutate().layout(ComponentSettings.layout(properties));
        ComponentSettings.ifSet(r.getLocalCacheEntries(), settings::localCacheEntries);
        ComponentSettings.ifSet(r.getLocalCacheTtl(), settings::localCacheTtl);
        ComponentSettings.ifSet(r.getNegativeCacheTtl(), settings::negativeCacheTtl);
        ComponentSettings.ifSet(r.getRedisFillTtl(), settings::redisFillTtl);
        ComponentSettings.ifSet(r.getMaxConcurrentFills(), settings::maxConcurrentFills);
        ComponentSettings.ifSet(r.getDatabaseTimeout(), settings::databaseTimeout);
        ComponentSettings.ifSet(r.getMaxBatchKeys(), settings::maxBatchKeys);
        return settings.build();
    }
}
