package io.cistern.spring.boot;

import io.cistern.connections.RedisSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The application's Lettuce client, taken from its {@link RedisConnectionFactory}, and a description of it for
 * Cistern's settings records. Stateless.
 */
final class SpringRedis {
    /** Lettuce's connect timeout when the application's client options do not set one. */
    private static final Duration LETTUCE_DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private SpringRedis() {}

    /**
     * The Lettuce client behind {@code factory}, whatever its topology: a {@link io.lettuce.core.RedisClient} (single server or
     * Sentinel) or a {@link io.lettuce.core.cluster.RedisClusterClient} ({@code spring.data.redis.cluster.nodes}); every Cistern
     * bean takes either. Shared with the application, which keeps owning it.
     */
    static AbstractRedisClient anyClient(RedisConnectionFactory factory) {
        return lettuce(factory).getRequiredNativeClient();
    }

    /**
     * Settings that describe the application's Redis for Cistern's components: its address without credentials (for
     * log messages only; the client connects as Spring configured it), the command timeout ({@code
     * spring.data.redis.timeout}) and the connect timeout ({@code spring.data.redis.connect-timeout}).
     */
    static RedisSettings describe(RedisConnectionFactory factory) {
        LettuceConnectionFactory lettuce = lettuce(factory);
        RedisURI uri;
        RedisSentinelConfiguration sentinel = lettuce.getSentinelConfiguration();
        RedisClusterConfiguration cluster = lettuce.getClusterConfiguration();
        if (lettuce.isClusterAware()
                && cluster != null
                && !cluster.getClusterNodes().isEmpty()) {
            // spring.data.redis.cluster.nodes: the seed nodes, so the description's topology is CLUSTER.
            List<RedisURI> nodes = cluster.getClusterNodes().stream()
                    .map(n -> RedisURI.builder()
                            .withHost(n.getHost())
                            .withPort(n.getPort() == null ? 6379 : n.getPort())
                            .withSsl(lettuce.isUseSsl())
                            .build())
                    .toList();
            return new RedisSettings(
                    nodes.get(0),
                    nodes,
                    java.util.Optional.empty(),
                    lettuce.getClientConfiguration().getCommandTimeout(),
                    connectTimeout(lettuce),
                    List.of());
        }
        if (lettuce.isRedisSentinelAware()
                && sentinel != null
                && !sentinel.getSentinels().isEmpty()) {
            RedisNode node = sentinel.getSentinels().iterator().next();
            String master = sentinel.getMaster() == null
                    ? "master"
                    : sentinel.getMaster().getName();
            uri = RedisURI.Builder.sentinel(node.getHost(), node.getPort() == null ? 26379 : node.getPort(), master)
                    .withDatabase(lettuce.getDatabase())
                    .withSsl(lettuce.isUseSsl())
                    .build();
        } else {
            uri = RedisURI.builder()
                    .withHost(lettuce.getHostName())
                    .withPort(lettuce.getPort())
                    .withDatabase(lettuce.getDatabase())
                    .withSsl(lettuce.isUseSsl())
                    .build();
        }
        Duration commandTimeout = lettuce.getClientConfiguration().getCommandTimeout();
        return new RedisSettings(uri, commandTimeout, connectTimeout(lettuce), List.of());
    }

    private static Duration connectTimeout(LettuceConnectionFactory lettuce) {
        return lettuce.getClientConfiguration()
                .getClientOptions()
                .map(o -> o.getSocketOptions().getConnectTimeout())
                .orElse(LETTUCE_DEFAULT_CONNECT_TIMEOUT);
    }

    private static LettuceConnectionFactory lettuce(RedisConnectionFactory factory) {
        if (factory instanceof LettuceConnectionFactory lettuce) {
            return lettuce;
        }
        throw new IllegalStateException("Cistern needs Spring Data Redis on Lettuce, but the application's"
                + " RedisConnectionFactory is a " + factory.getClass().getName()
                + ": remove Jedis from the classpath or set spring.data.redis.client-type=lettuce");
    }
}
