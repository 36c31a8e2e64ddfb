package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.cistern.connections.ConnectionFailure.Problem;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestCertificates;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redis authentication, ACL and TLS failures produced for real against private servers, and their translation. */
class RedisConnectionFailuresIT {
    private static final String DEFAULT_PASSWORD = "redis-default-pw-77";
    private static final String ALICE_PASSWORD = "alice-pw-31";

    private static Path dir;
    private static PrivateRedis auth;
    private static PrivateRedis tls;
    private static TestCertificates certificates;
    private static TestCertificates otherCa;

    @BeforeAll
    static void startServers() throws IOException {
        dir = Files.createTempDirectory("cistern-redis-tls");
        certificates = TestCertificates.create(dir.resolve("good"), "IP:127.0.0.1", "DNS:localhost");
        otherCa = TestCertificates.create(dir.resolve("other"), "IP:127.0.0.1");
        auth = PrivateRedis.start("--requirepass", DEFAULT_PASSWORD);
        tls = PrivateRedis.startWithTls(certificates);
        run(
                Map.of("REDIS_URL", auth.url(), "REDIS_PASSWORD", DEFAULT_PASSWORD),
                c -> c.sync()
                        .aclSetuser(
                                "alice",
                                io.lettuce.core.AclSetuserArgs.Builder.on()
                                        .addPassword(ALICE_PASSWORD)
                                        .allKeys()
                                        .addCommand(io.lettuce.core.protocol.CommandType.GET)
                                        .addCategory(io.lettuce.core.AclCategory.CONNECTION)));
    }

    @AfterAll
    static void stopServers() throws IOException {
        if (auth != null) {
            auth.close();
        }
        if (tls != null) {
            tls.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aclUserWithRightPassword_canRunWhatItIsGranted() {
        String value = run(
                Map.of("REDIS_URL", auth.url(), "REDIS_USERNAME", "alice", "REDIS_PASSWORD", ALICE_PASSWORD),
                c -> c.sync().get("some-key"));

        assertThat(value).isNull();
    }

    @Test
    void wrongPassword_saysWrongpassWithoutShowingIt() {
        ConnectionFailure failure = fails(
                Map.of("REDIS_URL", auth.url(), "REDIS_USERNAME", "alice", "REDIS_PASSWORD", "wrong-pw-555"),
                c -> c.sync().ping());

        assertThat(failure.problem()).isEqualTo(Problem.WRONG_PASSWORD);
        assertThat(failure.getMessage())
                .contains("WRONGPASS", "REDIS_PASSWORD", "REDIS_USERNAME")
                .doesNotContain("wrong-pw-555", ALICE_PASSWORD);
    }

    @Test
    void noPassword_saysNoauthAndWhichVariableToSet() {
        ConnectionFailure failure =
                fails(Map.of("REDIS_URL", auth.url()), c -> c.sync().ping());

        assertThat(failure.problem()).isEqualTo(Problem.PASSWORD_MISSING);
        assertThat(failure.getMessage()).contains("NOAUTH", "REDIS_PASSWORD");
    }

    @Test
    void commandTheAclUserLacks_saysNopermWithTheCommand() {
        ConnectionFailure failure = fails(
                Map.of("REDIS_URL", auth.url(), "REDIS_USERNAME", "alice", "REDIS_PASSWORD", ALICE_PASSWORD),
                c -> c.sync().set("k", "v"));

        assertThat(failure.problem()).isEqualTo(Problem.PERMISSION_DENIED);
        assertThat(failure.getMessage()).contains("'set' command", "ACL SETUSER alice +set");
    }

    @Test
    void nothingListening_saysConnectionRefused() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }

        ConnectionFailure failure = fails(
                Map.of("REDIS_URL", "redis://127.0.0.1:" + closedPort),
                c -> c.sync().ping());

        assertThat(failure.problem()).isEqualTo(Problem.CONNECTION_REFUSED);
        assertThat(failure.retryable()).isTrue();
    }

    @Test
    void tlsWithTheRightCa_connects() {
        String pong = run(
                Map.of(
                        "REDIS_URL",
                        tls.url(),
                        "REDIS_TLS_CA_CERT",
                        certificates.caCertificate().toString()),
                c -> c.sync().ping());

        assertThat(pong).isEqualTo("PONG");
    }

    @Test
    void tlsWithAnotherCa_saysTheCertificateIsNotTrusted() {
        ConnectionFailure failure = fails(
                Map.of(
                        "REDIS_URL",
                        tls.url(),
                        "REDIS_TLS_CA_CERT",
                        otherCa.caCertificate().toString()),
                c -> c.sync().ping());

        assertThat(failure.problem()).isEqualTo(Problem.CERTIFICATE_NOT_TRUSTED);
        assertThat(failure.getMessage()).contains("REDIS_TLS_CA_CERT");
    }

    @Test
    void serverThatNeverAnswers_saysTimeoutAndWhichVariableSetsIt() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ConnectionFailure failure = fails(
                    Map.of(
                            "REDIS_URL", "redis://127.0.0.1:" + silent.getLocalPort(),
                            "REDIS_COMMAND_TIMEOUT_MS", "500",
                            "REDIS_CONNECT_TIMEOUT_MS", "500"),
                    c -> c.sync().ping());

            assertThat(failure.problem()).isEqualTo(Problem.TIMEOUT);
            assertThat(failure.retryable()).isTrue();
            assertThat(failure.getMessage()).contains("_TIMEOUT_MS");
        }
    }

    @Test
    void plainClientAgainstATlsOnlyServer_isToldToUseRediss() {
        String plainUrl = tls.url().replaceFirst("^rediss://", "redis://");

        ConnectionFailure failure = fails(
                Map.of("REDIS_URL", plainUrl, "REDIS_COMMAND_TIMEOUT_MS", "1000", "REDIS_CONNECT_TIMEOUT_MS", "1000"),
                c -> c.sync().ping());

        assertThat(failure.problem()).isEqualTo(Problem.CONNECTION_RESET);
        assertThat(failure.getMessage()).contains("use a rediss:// URL").contains("accepts only TLS");
    }

    @Test
    void tlsCertificateForAnotherHost_saysTheHostNameDoesNotMatch() throws IOException {
        TestCertificates elsewhere = TestCertificates.create(dir.resolve("elsewhere"), "DNS:redis.elsewhere.example");
        try (PrivateRedis other = PrivateRedis.startWithTls(elsewhere)) {
            ConnectionFailure failure = fails(
                    Map.of(
                            "REDIS_URL",
                            other.url(),
                            "REDIS_TLS_CA_CERT",
                            elsewhere.caCertificate().toString()),
                    c -> c.sync().ping());

            assertThat(failure.problem()).isEqualTo(Problem.HOST_NAME_MISMATCH);
            assertThat(failure.retryable()).isFalse();
        }
    }

    private static <T> T run(
            Map<String, String> env, java.util.function.Function<StatefulRedisConnection<String, String>, T> action) {
        RedisSettings settings = RedisSettings.fromEnvironment(env);
        RedisClient client = RedisClients.create(settings);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return action.apply(c);
        } finally {
            client.shutdown();
        }
    }

    private static ConnectionFailure fails(
            Map<String, String> env, Consumer<StatefulRedisConnection<String, String>> action) {
        RedisSettings settings = RedisSettings.fromEnvironment(new HashMap<>(env));
        Throwable e = catchThrowable(() -> run(env, c -> {
            action.accept(c);
            return null;
        }));
        assertThat(e).as("the Redis call should fail").isNotNull();
        return ConnectionFailureTranslator.translate(e, settings);
    }
}
