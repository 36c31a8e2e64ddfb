package io.cistern.spring.boot;

import java.time.InstantSource;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Actuator health contributors, when Spring Boot's health support is on the classpath: {@code cisternRedis} (the
 * buffer answers and is initialised), {@code cisternBacklog} (buffered entries, age of the oldest change not yet in
 * PostgreSQL, partitions at their backlog limit) and {@code cisternDatabase} (PostgreSQL answers and holds Cistern's
 * tables). {@code management.health.cistern.enabled=false} turns them off; a bean of your own with the same name
 * replaces one.
 */
@AutoConfiguration(
        after = CisternAutoConfiguration.class,
        afterName = {
            "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
        })
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnEnabledHealthIndicator("cistern")
public final class CisternHealthAutoConfiguration {

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(name = "cisternRedisHealthIndicator")
    @ConditionalOnBean(RedisConnectionFactory.class)
    HealthIndicator cisternRedisHealthIndicator(
            CisternProperties properties, RedisConnectionFactory redis, ClosedBeforeRedisClient closer) {
        return closer.register(new CisternRedisHealthIndicator(
                SpringRedis.anyClient(redis), SpringRedis.describe(redis), ComponentSettings.layout(properties)));
    }

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(name = "cisternBacklogHealthIndicator")
    @ConditionalOnBean(RedisConnectionFactory.class)
    HealthIndicator cisternBacklogHealthIndicator(
            CisternProperties properties, RedisConnectionFactory redis, ClosedBeforeRedisClient closer) {
        return closer.register(new CisternBacklogHealthIndicator(
                SpringRedis.anyClient(redis),
                ComponentSettings.layout(properties),
                properties.getHealth().getBacklogAgeWarning(),
                InstantSource.system()));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(DataSource.class)
    static final class Database {
        @Bean
        @ConditionalOnMissingBean(name = "cisternDatabaseHealthIndicator")
        @ConditionalOnBean(DataSource.class)
        HealthIndicator cisternDatabaseHealthIndicator(CisternProperties properties, DataSource dataSource) {
            return new CisternDatabaseHealthIndicator(
                    dataSource, properties.getHealth().getDatabaseTimeout());
        }
    }
}
