package io.cistern.connections;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits at startup until PostgreSQL or Redis answers, retrying with {@link Backoff} and logging each attempt: the
 * race with a database that is still starting (containers started together, a failover in progress) should delay a
 * service, not kill it. Failures that waiting cannot fix (a wrong password, a missing pg_hba.conf line, an unknown
 * database, a TLS mismatch) end the wait at once.
 *
 * <p>Blocking; call it from the thread that starts the component, while its readiness reports down. Liveness must not
 * depend on it. Thread-safe (it holds no state between calls).
 */
public final class StartupWaiter {
    private static final Logger LOG = LoggerFactory.getLogger(StartupWaiter.class);

    /** How to pause; the real one sleeps, tests advance a clock. */
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final Backoff backoff;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final Sleeper sleeper;

    StartupWaiter(Backoff backoff, InstantSource clock, RandomGenerator random, Sleeper sleeper) {
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** A waiter with the real clock. */
    public static StartupWaiter create(Backoff backoff) {
        return new StartupWaiter(
                backoff, InstantSource.system(), ThreadLocalRandom.current(), d -> Thread.sleep(d.toMillis()));
    }

    /** An attempt that may throw anything; the translator explains what it throws. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run() throws Exception;
    }

    /**
     * Tries {@code attempt} until it succeeds, the failure is not retryable, or the wait is over.
     *
     * @param what the server, for the log ("PostgreSQL at db:5432")
     * @param translate explains a failure (usually a {@link ConnectionFailureTranslator} method)
     * @return what the successful attempt returned
     * @throws ConnectionFailure the last failure, when it is permanent or the time is up
     */
    public <T> T waitFor(String what, Attempt<T> attempt, Function<Throwable, ConnectionFailure> translate) {
        Instant start = clock.instant();
        for (int retry = 1; ; retry++) {
            ConnectionFailure failure;
            try {
                T result = attempt.run();
                if (retry > 1) {
                    LOG.info(
                            "{} answered after {} attempts in {} ms",
                            what,
                            retry,
                            Duration.between(start, clock.instant()).toMillis());
                }
                return result;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            } catch (Exception e) {
                failure = translate.apply(e);
            }
            if (!failure.retryable()) {
                LOG.error("{}: giving up at once, waiting will not fix this: {}", what, failure.getMessage());
                throw failure;
            }
            Duration elapsed = Duration.between(start, clock.instant());
            Duration delay = backoff.nextDelay(retry, random.nextDouble(), elapsed);
            if (delay == null) {
                LOG.error(
                        "{}: gave up after {} attempts in {} ms (STARTUP_WAIT_MS {}): {}",
                        what,
                        retry,
                        elapsed.toMillis(),
                        backoff.maxWait().toMillis(),
                        failure.getMessage());
                throw failure;
            }
            LOG.warn(
                    "{}: retry {} in {} ms ({} of {} ms waited): {}",
                    what,
                    retry,
                    delay.toMillis(),
                    elapsed.toMillis(),
                    backoff.maxWait().toMillis(),
                    failure.getMessage());
            try {
                sleeper.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Waits until PostgreSQL accepts a connection with {@code settings} and answers {@code SELECT 1}. Needs pgjdbc. */
    public void waitForDatabase(DatabaseSettings settings) {
        Properties properties = settings.driverProperties();
        waitFor(
                "PostgreSQL at " + settings.hosts().get(0) + (settings.hosts().size() > 1 ? " (and others)" : ""),
                () -> {
                    try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), properties);
                            Statement s = c.createStatement()) {
                        s.execute("SELECT 1");
                    }
                    return null;
                },
                e -> ConnectionFailureTranslator.translate(e, settings));
    }

    /** Waits until Redis answers {@code PING} through {@code client} (built by {@link RedisClients}). */
    public void waitForRedis(RedisClient client, RedisSettings settings) {
        waitFor(
                "Redis at " + settings.redactedUrl(),
                () -> {
                    try (StatefulRedisConnection<String, String> c = client.connect()) {
                        return c.sync().ping();
                    }
                },
                e -> ConnectionFailureTranslator.translate(e, settings));
    }

    /** Waits until a Redis Cluster answers {@code PING} through {@code client}. */
    public void waitForRedisCluster(RedisClusterClient client, RedisSettings settings) {
        waitFor(
                "Redis cluster at " + settings.redactedUrl(),
                () -> {
                    try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
                        return c.sync().ping();
                    }
                },
                e -> ConnectionFailureTranslator.translate(e, settings));
    }
}
