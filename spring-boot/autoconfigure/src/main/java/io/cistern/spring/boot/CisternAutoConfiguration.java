package io.cistern.spring.boot;

import io.cistern.writer.RecordWriter;
import io.lettuce.core.ClientOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Cistern's core auto-configuration: a {@link RecordWriter} on the application's Lettuce {@link RedisConnectionFactory}
 * (it opens one connection from the application's client and never closes the client), and a customizer that makes
 * that client reject commands while it is disconnected ({@code cistern.redis.reject-commands-while-disconnected}).
 * Declare a bean of your own to replace any of them.
 */
@AutoConfiguration(afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass({RecordWriter.class, LettuceConnectionFactory.class})
@EnableConfigurationProperties(CisternProperties.class)
public final class CisternAutoConfiguration {

    /**
     * A write must fail at once, with a retryable error, while Redis is unreachable: Lettuce's default would queue it
     * in memory until it reconnects (lost if the process dies, and blocking the caller up to the command timeout).
     */
    @Bean
    @ConditionalOnProperty(
            name = "cistern.redis.reject-commands-while-disconnected",
            havingValue = "true",
            matchIfMissing = true)
    LettuceClientOptionsBuilderCustomizer cisternRejectCommandsWhileDisconnected() {
        return options -> options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }

    /** Closes Cistern's connections before the connection factory shuts the client down. */
    @Bean
    static ClosedBeforeRedisClient cisternClosedBeforeRedisClient() {
        return new ClosedBeforeRedisClient();
    }

    /**
     * The writer, closed with the context before the Redis client (its connection only: the client belongs to the
     * connection factory).
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    @ConditionalOnBean(RedisConnectionFactory.class)
    @ConditionalOnProperty(name = "cistern.writer.enabled", havingValue = "true", matchIfMissing = true)
    RecordWriter cisternRecordWriter(
            CisternProperties properties,
            RedisConnectionFactory redis,
            ClosedBeforeRedisClient closer,
            ObjectProvider<MeterRegistry> meters) {
        // Writes and refusals per table go to the application's registry when it has one (cistern.writer.*).
        return closer.register(RecordWriter.connect(
                ComponentSettings.writer(properties, SpringRedis.describe(redis)),
                SpringRedis.anyClient(redis),
                meters.getIfAvailable(CompositeMeterRegistry::new)));
    }
}
