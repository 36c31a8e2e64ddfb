package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.SslVerifyMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void nothingSet_isTheLocalServerWithTwoSecondTimeouts() {
        RedisSettings s = RedisSettings.fromEnvironment(Map.of());

        assertThat(s.uri().getHost()).isEqualTo("127.0.0.1");
        assertThat(s.uri().getPort()).isEqualTo(6379);
        assertThat(s.topology()).isEqualTo(RedisSettings.Topology.STANDALONE);
        assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aclUserAndPasswordAndDatabase_comeFromTheUrl_andThePasswordIsRedacted() {
        RedisSettings s = RedisSettings.of("rediss://alice:s3cr3t@cache.example.com:6380/2");

        assertThat(s.uri().isSsl()).isTrue();
        assertThat(s.uri().getDatabase()).isEqualTo(2);
        assertThat(s.redactedUrl()).doesNotContain("s3cr3t");
        assertThat(s.describe()).anyMatch(l -> l.contains("user alice, password ****"));
        assertThat(String.join("\n", s.describe()) + s).doesNotContain("s3cr3t");
    }

    @Test
    void redactedUrl_namesEveryHostWithItsPort_andNoPassword() {
        assertThat(RedisSettings.of("redis://127.0.0.1").redactedUrl()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(RedisSettings.of("redis://:s3cr3t@cache.example.com:6379/2").redactedUrl())
                .isEqualTo("redis://****@cache.example.com:6379/2");
        assertThat(RedisSettings.of("rediss://alice:s3cr3t@cache.example.com:6380")
                        .redactedUrl())
                .isEqualTo("rediss://alice:****@cache.example.com:6380");
        assertThat(RedisSettings.of("redis-sentinel://:s3cr3t@s1,s2:26380/1#mymaster")
                        .redactedUrl())
                .isEqualTo("redis-sentinel://****@s1:26379,s2:26380/1#mymaster");
        assertThat(RedisSettings.of("redis-cluster://n1:7000,n2").redactedUrl())
                .isEqualTo("redis://n1:7000, redis://n2:6379");
        assertThat(RedisSettings.fromEnvironment(Map.of("REDIS_URL", "redis://[::1]:6390", "REDIS_PASSWORD", "s3cr3t"))
                        .redactedUrl())
                .isEqualTo("redis://****@[::1]:6390");
    }

    @Test
    void passwordFile_overridesTheUrlsPassword() throws IOException {
        Path file = Files.writeString(tmp.resolve("redis-pw"), "from-file\n");

        RedisSettings s = RedisSettings.fromEnvironment(Map.of(
                "REDIS_URL", "redis://:old@h:6379", "REDIS_USERNAME", "bob", "REDIS_PASSWORD_FILE", file.toString()));

        var credentials = RedisSettings.credentials(s.uri()).orElseThrow();
        assertThat(credentials.getUsername()).isEqualTo("bob");
        assertThat(new String(credentials.getPassword())).isEqualTo("from-file");
    }

    @Test
    void passwordAndPasswordFileBothSet_isAnError() {
        assertThatThrownBy(
                        () -> RedisSettings.fromEnvironment(Map.of("REDIS_PASSWORD", "a", "REDIS_PASSWORD_FILE", "/f")))
                .hasMessage("both REDIS_PASSWORD and REDIS_PASSWORD_FILE are set: keep one of them");
    }

    @Test
    void timeoutThatDoesNotParse_namesTheVariable() {
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(Map.of("REDIS_COMMAND_TIMEOUT_MS", "2s")))
                .hasMessageStartingWith("REDIS_COMMAND_TIMEOUT_MS must be a whole number of milliseconds")
                .hasMessageContaining("'2s'");
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(Map.of("REDIS_CONNECT_TIMEOUT_MS", "0")))
                .hasMessageContaining("REDIS_CONNECT_TIMEOUT_MS must be a positive duration");
    }

    @Test
    void whitespaceInsideTheUrl_isAnErrorThatHidesThePassword() {
        assertThatThrownBy(() -> RedisSettings.of("redis://:pw123@my host:6379"))
                .hasMessageContaining("contains whitespace")
                .hasMessageNotContaining("pw123");
    }

    @Test
    void sentinelUrl_isRecognised() {
        RedisSettings s = RedisSettings.of("redis-sentinel://:pw@s1:26379,s2:26379/0#mymaster");

        assertThat(s.topology()).isEqualTo(RedisSettings.Topology.SENTINEL);
        assertThat(s.uri().getSentinels()).hasSize(2);
        assertThat(s.describe().get(0)).contains("sentinel, master mymaster");
    }

    @Test
    void clusterUrl_givesEverySeedTheCredentials_andRefusesAPlainClient() {
        RedisSettings s = RedisSettings.of("rediss-cluster://u:pw@n1:7000,n2:7001");

        assertThat(s.topology()).isEqualTo(RedisSettings.Topology.CLUSTER);
        assertThat(s.clusterNodes()).hasSize(2).allMatch(u -> u.isSsl() && u.getCredentialsProvider() != null);
        assertThat(s.clusterNodes().get(1).getPort()).isEqualTo(7001);
        assertThatThrownBy(() -> RedisClients.create(s)).hasMessageContaining("use RedisClients.createCluster");
    }

    @Test
    void tlsCaAndVerifyMode_areApplied_andACaWithoutTlsIsAnError() throws IOException {
        Path ca = Files.writeString(tmp.resolve("ca.pem"), "x");

        RedisSettings s = RedisSettings.fromEnvironment(
                Map.of("REDIS_URL", "rediss://h:6380", "REDIS_TLS_CA_CERT", ca.toString(), "REDIS_TLS_VERIFY", "ca"));

        assertThat(s.tlsCaCert()).contains(ca);
        assertThat(s.uri().getVerifyMode()).isEqualTo(SslVerifyMode.CA);
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(
                        Map.of("REDIS_URL", "redis://h:6379", "REDIS_TLS_CA_CERT", ca.toString())))
                .hasMessageContaining("use a rediss:// URL");
    }

    @Test
    void unknownScheme_saysWhichAreAccepted() {
        assertThatThrownBy(() -> RedisSettings.of("http://:pw@h:6379"))
                .hasMessageContaining("REDIS_URL is not a Redis URL")
                .hasMessageNotContaining(":pw@");
    }

    @Test
    void oldConstructorShape_stillWorks() {
        RedisSettings s = new RedisSettings(
                io.lettuce.core.RedisURI.create("redis://h:1"),
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                List.of());

        assertThat(s.topology()).isEqualTo(RedisSettings.Topology.STANDALONE);
        assertThat(s.tlsCaCert()).isEmpty();
    }

    @Test
    void redisHostAndPort_aJobWorkersNames_makeTheUrl() {
        RedisSettings s = RedisSettings.fromEnvironment(Map.of(
                "REDIS_HOST",
                "jobs.abc123.0001.euw1.cache.amazonaws.com",
                "REDIS_PORT",
                "6380",
                "REDIS_PASSWORD",
                "Jw-9"));

        assertThat(s.uri().getHost()).isEqualTo("jobs.abc123.0001.euw1.cache.amazonaws.com");
        assertThat(s.uri().getPort()).isEqualTo(6380);
        assertThat(s.uri().isSsl()).isFalse();
        assertThat(s.warnings()).isEmpty();
        assertThat(s.redactedUrl() + s.describe() + s.warnings() + s).doesNotContain("Jw-9");
        assertThat(RedisSettings.fromEnvironment(Map.of("REDIS_HOST", "cache"))
                        .uri()
                        .getPort())
                .isEqualTo(6379);
        assertThat(RedisSettings.fromEnvironment(Map.of("REDIS_PORT", "6390"))
                        .uri()
                        .getHost())
                .isEqualTo("127.0.0.1");
        assertThat(RedisSettings.fromEnvironment(Map.of("REDIS_HOST", "::1")).redactedUrl())
                .isEqualTo("redis://[::1]:6379");
    }

    @Test
    void redisUrl_beatsRedisHostAndPort_whichAreNamedAsIgnored() {
        RedisSettings s = RedisSettings.fromEnvironment(
                Map.of("REDIS_URL", "redis://url-host:6379", "REDIS_HOST", "alias-host", "REDIS_PORT", "7000"));

        assertThat(s.uri().getHost()).isEqualTo("url-host");
        assertThat(s.uri().getPort()).isEqualTo(6379);
        assertThat(s.warnings())
                .containsExactly(
                        "REDIS_HOST is ignored: REDIS_URL is set, which wins",
                        "REDIS_PORT is ignored: REDIS_URL is set, which wins");
    }

    @Test
    void badRedisHostOrPort_isRefusedByName() {
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(Map.of("REDIS_PORT", "six")))
                .hasMessageContaining("REDIS_PORT must be a whole number, was 'six'");
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(Map.of("REDIS_PORT", "70000")))
                .hasMessageContaining("REDIS_PORT must be between 1 and 65535, was 70000");
        assertThatThrownBy(() -> RedisSettings.fromEnvironment(Map.of("REDIS_HOST", "redis://cache:6379")))
                .hasMessageContaining("REDIS_HOST 'redis://cache:6379' is not a host name")
                .hasMessageContaining("set REDIS_URL instead");
    }
}
