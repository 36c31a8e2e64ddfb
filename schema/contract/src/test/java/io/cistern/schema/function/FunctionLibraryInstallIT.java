package io.cistern.schema.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.failure.PermanentException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Installing and upgrading the Function library. Runs on a private redis-server: functions are global to a Redis, so
 * a different library must never be loaded into the shared one.
 */
class FunctionLibraryInstallIT {
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
    void emptyRedis_hasNoLibraryAndIsReportedAsNotInitialised() {
        assertThat(FunctionLibrary.installedRevision(redis)).isEqualTo(-1);
        assertThatThrownBy(() -> FunctionLibrary.requireInstalled(redis))
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("NOT_INITIALISED"))
                .hasMessageContaining("ops/cistern init");
    }

    @Test
    void install_isIdempotent() {
        assertThat(FunctionLibrary.install(redis)).isEqualTo(FunctionLibrary.REVISION);

        assertThat(FunctionLibrary.install(redis)).isEqualTo(FunctionLibrary.REVISION);

        assertThat(FunctionLibrary.installedRevision(redis)).isEqualTo(FunctionLibrary.REVISION);
        List<Map<String, Object>> libraries = redis.functionList();
        assertThat(libraries)
                .singleElement()
                .satisfies(l -> assertThat(l.get("library_name")).isEqualTo(FunctionLibrary.LIBRARY_NAME));
        FunctionLibrary.requireInstalled(redis);
    }

    @Test
    void luaSourceRevision_matchesTheJavaConstant() {
        assertThat(FunctionLibrary.source())
                .startsWith("#!lua name=" + FunctionLibrary.LIBRARY_NAME)
                .contains("local REVISION = " + FunctionLibrary.REVISION + "\n");
    }

    @Test
    void newerRevisionInRedis_isNeverDowngraded() {
        // given Redis holds a newer revision of the same library
        int newer = FunctionLibrary.REVISION + 1;
        redis.functionLoad(
                FunctionLibrary.source()
                        .replace("local REVISION = " + FunctionLibrary.REVISION, "local REVISION = " + newer),
                true);

        // when this build tries to install its own
        assertThatThrownBy(() -> FunctionLibrary.install(redis))
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("LIBRARY_NEWER"))
                .hasMessageContaining("revision " + newer)
                .hasMessageContaining("newer than this build's revision " + FunctionLibrary.REVISION);

        // then the newer one stays
        assertThat(FunctionLibrary.installedRevision(redis)).isEqualTo(newer);
    }

    @Test
    void olderRevisionInRedis_isUpgradedAndRefusedUntilThen() {
        int older = FunctionLibrary.REVISION - 1;
        redis.functionLoad(
                FunctionLibrary.source()
                        .replace("local REVISION = " + FunctionLibrary.REVISION, "local REVISION = " + older),
                true);
        assertThatThrownBy(() -> FunctionLibrary.requireInstalled(redis))
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("LIBRARY_OLDER"));

        assertThat(FunctionLibrary.install(redis)).isEqualTo(FunctionLibrary.REVISION);

        assertThat(FunctionLibrary.installedRevision(redis)).isEqualTo(FunctionLibrary.REVISION);
    }
}
