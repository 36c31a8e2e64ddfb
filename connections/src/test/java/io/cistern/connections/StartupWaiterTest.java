package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.ConnectException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class StartupWaiterTest {
    private final DatabaseSettings db = DatabaseSettings.fromEnvironment(Map.of());
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final List<Duration> sleeps = new ArrayList<>();
    private final StartupWaiter waiter = new StartupWaiter(
            new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5)),
            () -> now,
            fixedRandom(0.0),
            d -> {
                sleeps.add(d);
                now = now.plus(d);
            });

    @Test
    void refusedConnections_areRetriedWithGrowingDelays_untilOneSucceeds() {
        int[] calls = {0};

        String result = waiter.waitFor(
                "PostgreSQL",
                () -> {
                    if (++calls[0] < 4) {
                        throw new SQLException("refused", "08001", new ConnectException("Connection refused"));
                    }
                    return "up";
                },
                e -> ConnectionFailureTranslator.translate(e, db));

        assertThat(result).isEqualTo("up");
        assertThat(sleeps).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void permanentFailure_endsTheWaitWithoutSleeping() {
        ConnectionFailure failure = catchThrowableOfType(
                ConnectionFailure.class,
                () -> waiter.waitFor(
                        "PostgreSQL",
                        () -> {
                            throw new SQLException("FATAL: password authentication failed for user \"u\"", "28P01");
                        },
                        e -> ConnectionFailureTranslator.translate(e, db)));

        assertThat(failure.problem()).isEqualTo(ConnectionFailure.Problem.WRONG_PASSWORD);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void retryableFailure_givesUpWhenTheWaitIsOver_withTheLastFailure() {
        ConnectionFailure failure = catchThrowableOfType(
                ConnectionFailure.class,
                () -> waiter.waitFor(
                        "PostgreSQL",
                        () -> {
                            throw new SQLException("refused", "08001", new ConnectException("Connection refused"));
                        },
                        e -> ConnectionFailureTranslator.translate(e, db)));

        assertThat(failure.problem()).isEqualTo(ConnectionFailure.Problem.CONNECTION_REFUSED);
        assertThat(sleeps.stream().reduce(Duration.ZERO, Duration::plus)).isEqualTo(Duration.ofSeconds(5));
        assertThat(sleeps).allMatch(d -> d.compareTo(Duration.ofMillis(500)) <= 0);
    }

    private static RandomGenerator fixedRandom(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }
}
