package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestServers;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one readiness check of Redis and PostgreSQL that every service's health endpoint renders. */
class DependencyCheckIT {
    @Test
    void redisThatAnswersIsUpWithItsAddressReplyAndLatency() {
        try (RedisPing ping = new RedisPing(RedisSettings.of(TestServers.redisUrl()))) {
            DependencyCheck check = DependencyCheck.redis(ping);

            assertThat(check.up()).isTrue();
            assertThat(check.details()).containsKeys("redis", "ping", "latencyMillis");
            assertThat(check.details().get("ping")).isEqualTo("PONG");
        }
    }

    @Test
    void redisThatRefusesThePasswordIsDownSayingWhatToFixWithoutThePassword() {
        try (PrivateRedis redis = PrivateRedis.start("--requirepass", "right-pw-41");
                RedisPing ping = new RedisPing(RedisSettings.fromEnvironment(
                        Map.of("REDIS_URL", redis.url(), "REDIS_PASSWORD", "wrong-pw-93")))) {
            DependencyCheck check = DependencyCheck.redis(ping);

            assertThat(check.up()).isFalse();
            assertThat(check.details().get("redis")).asString().contains("127.0.0.1:" + redis.port());
            assertThat((String) check.details().get("error"))
                    .contains("REDIS_PASSWORD")
                    .doesNotContain("wrong-pw-93")
                    .doesNotContain("right-pw-41");
        }
    }

    @Test
    void postgresThatAnswersIsUpNamingHostAndDatabase() {
        DatabaseSettings settings =
                DatabaseSettings.fromEnvironment(Map.of("DATABASE_URL", TestServers.adminDatabaseUrl()));

        DependencyCheck check = DependencyCheck.postgres(settings);

        assertThat(check.up()).isTrue();
        assertThat((String) check.details().get("postgres")).endsWith("/postgres");
        assertThat(check.details()).containsKey("latencyMillis");
    }

    @Test
    void postgresNobodyListensOnIsDownNamingTheAddressTried() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(Map.of(
                "DATABASE_URL",
                "postgresql://postgres:secret-pg-pw@127.0.0.1:" + port + "/app",
                "DB_CONNECT_TIMEOUT_MS",
                "2000"));

        DependencyCheck check = DependencyCheck.postgres(settings);

        assertThat(check.up()).isFalse();
        assertThat(check.details()).doesNotContainKey("latencyMillis");
        assertThat((String) check.details().get("error"))
                .contains("127.0.0.1:" + port)
                .doesNotContain("secret-pg-pw");
    }
}
