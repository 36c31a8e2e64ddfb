package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Loading the registry under a prefix Cistern was not initialised with. On a private redis-server, so that the
 * prefixes it finds are only the test's own.
 */
class RedisRegistryIT {
    private static final TableRegistry REGISTRY = new TableRegistry(
            2,
            List.of(new TableDef(
                    "pages",
                    List.of(new ColumnDef("page_id", SqlType.BIGINT, false, false, 0)),
                    List.of("page_id"),
                    1,
                    Optional.empty())));

    private PrivateRedis server;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> redis;

    @BeforeEach
    void setUp() {
        server = PrivateRedis.start();
        client = RedisClients.create(RedisSettings.of(server.url()));
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterEach
    void tearDown() {
        connection.close();
        client.shutdown();
        server.close();
    }

    @Test
    void emptyRedis_isNotInitialised_namingThePrefixAndInit() {
        assertThatThrownBy(() -> new RedisRegistry(redis, new KeyLayout("orders")).load())
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("NOT_INITIALISED"))
                .hasMessageContaining("not initialised in this Redis under the prefix 'orders' (no orders:config)")
                .hasMessageContaining("run `ops/cistern init` (with CISTERN_PREFIX=orders)")
                .hasMessageContaining("cistern.key-prefix");
    }

    @Test
    void initialisedUnderAnotherPrefix_namesThatPrefix() {
        new RedisRegistry(redis, new KeyLayout("cistern")).publish(REGISTRY, BufferLimits.DEFAULTS);

        assertThatThrownBy(() -> new RedisRegistry(redis, new KeyLayout("cistren")).load())
                .isInstanceOf(PermanentException.class)
                .hasMessageContaining("not initialised in this Redis under the prefix 'cistren'")
                .hasMessageContaining("but it is under 'cistern': set the prefix to the one meant")
                .hasMessageContaining("cistern.key-prefix");
    }
}
