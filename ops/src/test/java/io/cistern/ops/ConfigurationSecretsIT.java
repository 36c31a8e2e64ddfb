package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.Backoff;
import io.cistern.connections.ConnectionFailureTranslator;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.StartupWaiter;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestCertificates;
import io.lettuce.core.RedisClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * No secret anywhere (issue 20): distinctive passwords and tokens go through configuration ({@code ops/cistern config}
 * as a process, text and JSON), resolution with its warnings, the services' startup block, connections that succeed
 * (with {@code SQL_ECHO} on) and connections that fail (a wrong PostgreSQL password, a wrong Redis password) and
 * combinations that are refused; every log line (with its stack trace), exception message and stack trace, and
 * everything printed is searched for every secret. PostgreSQL accepts only TLS with a password.
 */
class ConfigurationSecretsIT {
    private static final String DB_PASSWORD = "Qx7-db-pw-SECRET-4411";
    private static final String WRONG_DB_PASSWORD = "Qx7-wrong-db-SECRET-4412";
    private static final String ALIAS_PASSWORD = "Qx7-alias-SECRET-4413";
    private static final String REDIS_PASSWORD = "Qx7-redis-SECRET-4414";
    private static final String WRONG_REDIS_PASSWORD = "Qx7-wrong-redis-SECRET-4415";
    private static final String WRITER_TOKEN = "Qx7-writer-token-SECRET-4416";
    private static final String READER_TOKEN = "Qx7-reader-token-SECRET-4417";
    private static final String SSL_KEY_PASSWORD = "Qx7-sslpassword-SECRET-4418";
    private static final String FILE_PASSWORD = "Qx7-file-SECRET-4419";
    private static final List<String> SECRETS = List.of(
            DB_PASSWORD,
            WRONG_DB_PASSWORD,
            ALIAS_PASSWORD,
            REDIS_PASSWORD,
            WRONG_REDIS_PASSWORD,
            WRITER_TOKEN,
            READER_TOKEN,
            SSL_KEY_PASSWORD,
            FILE_PASSWORD);

    private static Path dir;
    private static TestCertificates certificates;
    private static PrivatePostgres postgres;
    private static PrivateRedis redis;

    private ListAppender<ILoggingEvent> logs;
    /** Everything the test saw: output, messages, stack traces. */
    private final StringBuilder seen = new StringBuilder();

    @BeforeAll
    static void startServers() throws IOException {
        dir = Files.createTempDirectory("cistern-config-secrets");
        certificates = TestCertificates.create(dir, "DNS:localhost");
        postgres = PrivatePostgres.builder()
                .tls(certificates.serverCertificate(), certificates.serverKey())
                .hbaLine("hostssl all app 127.0.0.1/32 scram-sha-256")
                .start();
        postgres.execute("CREATE ROLE app LOGIN PASSWORD '" + DB_PASSWORD + "'", "CREATE DATABASE app OWNER app");
        redis = PrivateRedis.start("--requirepass", REDIS_PASSWORD);
    }

    @AfterAll
    static void stopServers() throws IOException {
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @BeforeEach
    void captureLogs() {
        logs = new ListAppender<>();
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void noSecretInAnythingSeen() {
        root().detachAppender(logs);
        for (ILoggingEvent e : logs.list) {
            seen.append(e.getFormattedMessage()).append('\n');
            if (e.getThrowableProxy() != null) {
                seen.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
            }
        }
        assertThat(seen).as("the test saw something to search").isNotEmpty();
        for (String secret : SECRETS) {
            assertThat(seen.toString()).as("no secret in anything seen").doesNotContain(secret);
        }
    }

    /** What a team's {@code .env} holds: the right passwords, losers of lower precedence, tokens, a file. */
    private Map<String, String> environment() throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", "localhost");
        env.put("DB_PORT", Integer.toString(postgres.port()));
        env.put("DB_NAME", "app");
        env.put("DB_USER", "app");
        env.put("DB_PASSWORD", DB_PASSWORD);
        env.put("DB_SSL_CERT_PATH", certificates.caCertificate().toString());
        env.put("AWS_DB_PASSWORD", ALIAS_PASSWORD);
        env.put(
                "PGPASSWORD_FILE",
                Files.writeString(dir.resolve("pgpass"), FILE_PASSWORD).toString());
        env.put("REDIS_URL", "redis://:" + REDIS_PASSWORD + "@127.0.0.1:" + redis.port());
        env.put("CISTERN_WRITER_TOKEN", WRITER_TOKEN);
        env.put("CISTERN_READER_TOKEN", READER_TOKEN);
        env.put("DB_POOL_SIZ", "3");
        env.put("STARTUP_WAIT_MS", "0");
        return env;
    }

    @Test
    void configCommand_asAProcess_printsNoSecret_inTextOrJson() throws Exception {
        Map<String, String> env = environment();

        Result text = runConfig(env);
        Result json = runConfig(env, "--json");

        assertThat(text.code()).as(text.output()).isZero();
        assertThat(text.output())
                .contains("****", "from DB_PASSWORD, overriding AWS_DB_PASSWORD, PGPASSWORD")
                .contains("did you mean DB_POOL_SIZE?");
        assertThat(json.code()).as(json.output()).isZero();
        assertThat(json.output()).contains("\"overrides\":[\"AWS_DB_PASSWORD\",\"PGPASSWORD\"]");
    }

    @Test
    void configCommand_asAProcess_refusingABadCombination_printsNoSecret() throws Exception {
        Map<String, String> env = environment();
        env.put("DATABASE_URL", "postgres://localhost/app?sslpassword=" + SSL_KEY_PASSWORD + "&sslmode=maybe");
        Result badMode = runConfig(env);
        env.remove("DATABASE_URL");
        env.remove("DB_PASSWORD");
        env.put("DATABASE_PASSWORD", WRONG_DB_PASSWORD);
        Result twoPasswords = runConfig(env);
        env.remove("DATABASE_PASSWORD");
        env.put("REDIS_URL", "rediss-nope://:" + REDIS_PASSWORD + "@127.0.0.1:1");
        Result badRedisUrl = runConfig(env);

        assertThat(badMode.code()).isEqualTo(1);
        assertThat(badMode.output()).contains("maybe");
        assertThat(twoPasswords.code()).isEqualTo(1);
        assertThat(twoPasswords.output()).contains("DATABASE_PASSWORD and AWS_DB_PASSWORD");
        assertThat(badRedisUrl.code()).isEqualTo(1);
        assertThat(badRedisUrl.output()).contains("REDIS_URL");
    }

    @Test
    void resolutionAndStartupBlock_inTheJvm_logAndShowNoSecret() throws Exception {
        Map<String, String> env = environment();
        env.put("DATABASE_URL_UNUSED", "x");
        env.put(
                "DATABASE_URL",
                "postgres://app:" + DB_PASSWORD + "@localhost:" + postgres.port() + "/app?sslpassword="
                        + SSL_KEY_PASSWORD);

        DatabaseSettings database = DatabaseSettings.fromEnvironment(env);
        RedisSettings redisSettings = RedisSettings.fromEnvironment(env);
        Startup.logConfiguration("cistern", redisSettings, database, env);
        ConfigurationReport report = ConfigurationReport.resolve(env);

        seen.append(database)
                .append(database.describe())
                .append(database.jdbcUrl())
                .append(database.warnings());
        seen.append(redisSettings).append(redisSettings.describe()).append(redisSettings.warnings());
        seen.append(report.text()).append(report.json());
        assertThat(database.warnings()).anyMatch(w -> w.contains("DB_PASSWORD is ignored"));
        assertThat(report.text()).contains("driver parameter sslpassword", "DATABASE_URL_UNUSED");
    }

    @Test
    void rightPasswords_connectOverTls_andTheStatementLogRedactsALiteralSecret() throws Exception {
        Map<String, String> env = environment();
        env.put("SQL_ECHO", "true");
        DatabaseSettings database = DatabaseSettings.fromEnvironment(env);

        StartupWaiter.create(Backoff.fromEnvironment(env)).waitForDatabase(database);
        try (HikariDataSource pool = DataSources.create(database, "secrets-it");
                Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            s.execute("ALTER ROLE app PASSWORD '" + DB_PASSWORD + "'");
        }
        RedisSettings redisSettings = RedisSettings.fromEnvironment(env);
        RedisClient client = RedisClients.create(redisSettings);
        try {
            StartupWaiter.create(Backoff.fromEnvironment(env)).waitForRedis(client, redisSettings);
        } finally {
            client.shutdown();
        }

        assertThat(logs.list)
                .as("SQL_ECHO logged the statement")
                .anyMatch(e -> e.getFormattedMessage().contains("ALTER ROLE app PASSWORD '****'"));
    }

    @Test
    void wrongPasswords_failWithMessagesAndTracesThatHoldNoSecret() throws Exception {
        Map<String, String> env = environment();
        env.put("DB_PASSWORD", WRONG_DB_PASSWORD);
        env.put("REDIS_URL", "redis://:" + WRONG_REDIS_PASSWORD + "@127.0.0.1:" + redis.port());
        DatabaseSettings database = DatabaseSettings.fromEnvironment(env);
        RedisSettings redisSettings = RedisSettings.fromEnvironment(env);

        Throwable waitedForDatabase = catchThrowable(
                () -> StartupWaiter.create(Backoff.fromEnvironment(env)).waitForDatabase(database));
        Throwable pooled;
        try (HikariDataSource pool = DataSources.create(
                database.mutate().connectTimeout(Duration.ofSeconds(2)).build(), "secrets-it-wrong")) {
            pooled = catchThrowable(pool::getConnection);
        }
        Throwable translated = ConnectionFailureTranslator.translate(pooled, database);
        RedisClient client = RedisClients.create(redisSettings);
        Throwable waitedForRedis;
        try {
            waitedForRedis = catchThrowable(
                    () -> StartupWaiter.create(Backoff.fromEnvironment(env)).waitForRedis(client, redisSettings));
        } finally {
            client.shutdown();
        }

        for (Throwable t : List.of(waitedForDatabase, pooled, translated, waitedForRedis)) {
            assertThat(t).isNotNull();
            seen.append(trace(t));
        }
        assertThat(waitedForDatabase.getMessage())
                .containsIgnoringCase("password")
                .contains("DB_PASSWORD");
        assertThat(waitedForRedis.getMessage()).containsIgnoringCase("password");
    }

    private record Result(int code, String output) {}

    /** {@code ops/cistern config} in a process of its own, with only {@code env} (and PATH) as its environment. */
    private Result runConfig(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CisternCli.class.getName(),
                "config"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        seen.append(output);
        return new Result(process.exitValue(), output);
    }

    private static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w, true));
        return w.toString();
    }

    private static Logger root() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
