package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestServers;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A Spring Boot application with the starter that cannot start, run for real: Spring's "APPLICATION FAILED TO START"
 * report (printed by {@code LoggingFailureAnalysisReporter}) says what failed and names the property to fix, with the
 * address tried and never a password, instead of a stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureAnalyzersIT {
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {}

    /** An application whose start-up needs PostgreSQL, as a schema migration or a query in a runner does. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class AppQueryingAtStartup {
        @Bean
        ApplicationRunner startupQuery(JdbcTemplate jdbc) {
            return args -> jdbc.queryForObject("SELECT 1", Integer.class);
        }
    }

    @Test
    void redisAtAClosedPort_reportsTheAddressAndTheRedisProperties(CapturedOutput output) throws IOException {
        int closed = closedPort();

        assertThatThrownBy(() -> run(
                        App.class,
                        "spring.data.redis.url=redis://:s3cr3t-redis@127.0.0.1:" + closed,
                        "spring.datasource.url=" + TestServers.adminDatabaseUrl()))
                .isNotNull();

        assertThat(output.getOut())
                .contains("APPLICATION FAILED TO START")
                .contains("Cistern could not connect to Redis at 127.0.0.1:" + closed)
                .contains("Action:")
                .contains("Start Redis at 127.0.0.1:" + closed)
                .contains("spring.data.redis.url", "spring.data.redis.host", "spring.data.redis.port")
                .doesNotContain("s3cr3t-redis");
        assertThat(output.getAll()).doesNotContain("s3cr3t-redis");
        assertThat(stackFrames(output)).as("stack frames printed").isZero();
    }

    @Test
    void databaseAtAClosedPort_reportsTheUrlAndTheDatasourceProperties(CapturedOutput output) throws IOException {
        int closed = closedPort();
        String url = "jdbc:postgresql://127.0.0.1:" + closed + "/app";

        assertThatThrownBy(() -> run(
                        AppQueryingAtStartup.class,
                        "spring.data.redis.url=" + TestServers.redisUrl(),
                        "spring.datasource.url=" + url + "?password=s3cr3t-db",
                        "spring.datasource.username=app",
                        "spring.datasource.hikari.connection-timeout=2000",
                        // Cistern's own beans need no PostgreSQL at start-up; this test is about the runner's query
                        "cistern.writer.enabled=false",
                        "cistern.reader.enabled=false"))
                .isNotNull();

        assertThat(output.getOut())
                .contains("APPLICATION FAILED TO START")
                .contains("PostgreSQL at " + url + " (user app) could not be reached")
                .contains(
                        "spring.datasource.url (jdbc:postgresql://host:port/database)",
                        "spring.datasource.username",
                        "spring.datasource.password")
                .doesNotContain("s3cr3t-db");
        assertThat(stackFrames(output)).as("stack frames printed").isZero();
    }

    @Test
    void prefixNeverInitialised_reportsTheInitCommandAndThePrefixProperty(CapturedOutput output) {
        String prefix = "it-never-initialised-" + UUID.randomUUID().toString().substring(0, 8);
        URI redis = URI.create(TestServers.redisUrl());

        assertThatThrownBy(() -> run(
                        App.class,
                        "spring.data.redis.url=" + TestServers.redisUrl(),
                        "spring.datasource.url=" + TestServers.adminDatabaseUrl(),
                        "cistern.key-prefix=" + prefix))
                .isNotNull();

        assertThat(output.getOut())
                .contains("APPLICATION FAILED TO START")
                .contains("Cistern cannot start on the Redis at " + redis.getHost() + ":" + redis.getPort()
                        + " (cistern.key-prefix=" + prefix + "): Cistern is not initialised in this Redis under the"
                        + " prefix '" + prefix + "'")
                .contains("CISTERN_PREFIX=" + prefix + " ops/cistern init")
                .contains("set cistern.key-prefix to that prefix");
        assertThat(stackFrames(output)).as("stack frames printed").isZero();
    }

    private static void run(Class<?> application, String... properties) {
        new SpringApplicationBuilder(application)
                .web(WebApplicationType.NONE)
                .properties(properties)
                .properties("spring.data.redis.timeout=2s", "spring.data.redis.connect-timeout=2s")
                .run()
                .close();
    }

    /** A port nothing listens on: bound, then released. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static long stackFrames(CapturedOutput output) {
        return output.getAll().lines().filter(l -> l.startsWith("\tat ")).count();
    }
}
