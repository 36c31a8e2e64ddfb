package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cistern.connections.ConnectionFailure.Problem;
import io.cistern.connections.testing.PrivatePostgres;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Waiting for a private PostgreSQL (without TLS) that is not up yet, and failures waiting cannot fix. */
class StartupWaiterIT {
    private static PrivatePostgres pg;

    @BeforeAll
    static void startServer() {
        pg = PrivatePostgres.start();
    }

    @AfterAll
    static void stopServer() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void databaseThatStartsLater_isWaitedFor() throws Exception {
        DatabaseSettings settings = settings(Map.of());
        pg.stop();
        ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
        try {
            later.schedule(pg::startAgain, 3, TimeUnit.SECONDS);
            StartupWaiter waiter = StartupWaiter.create(
                    new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(60)));
            long start = System.nanoTime();

            waiter.waitForDatabase(settings);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofSeconds(2));
            assertThat(pg.isReady()).isTrue();
        } finally {
            later.shutdown();
            assertThat(later.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void unknownDatabase_endsTheWaitAtOnce() {
        StartupWaiter waiter = StartupWaiter.create(
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(60)));
        long start = System.nanoTime();

        ConnectionFailure failure = catchThrowableOfType(
                ConnectionFailure.class, () -> waiter.waitForDatabase(settings(Map.of("DB_NAME", "missing"))));

        assertThat(failure.problem()).isEqualTo(Problem.UNKNOWN_DATABASE);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void requiringTlsFromAServerWithout_saysTlsIsNotSupported() {
        DatabaseSettings settings = settings(Map.of("DB_SSL_MODE", "require"));

        ConnectionFailure failure = catchThrowableOfType(
                ConnectionFailure.class,
                () -> StartupWaiter.create(new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ZERO))
                        .waitForDatabase(settings));

        assertThat(failure.problem()).isEqualTo(Problem.TLS_NOT_SUPPORTED);
        assertThat(failure.getMessage()).contains("does not offer TLS", "DB_SSL_MODE=prefer");
    }

    private static DatabaseSettings settings(Map<String, String> overrides) {
        Map<String, String> env = new java.util.HashMap<>(
                Map.of("DB_HOST", "127.0.0.1", "DB_PORT", Integer.toString(pg.port()), "DB_USER", "postgres"));
        env.putAll(overrides);
        return DatabaseSettings.fromEnvironment(env);
    }
}
