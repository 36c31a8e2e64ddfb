package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(10));

    @Test
    void delay_doublesFromTheInitialDelay_withinTheJitterHalf() {
        assertThat(backoff.delay(1, 0.0)).isEqualTo(Duration.ofMillis(50));
        assertThat(backoff.delay(1, 0.999999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
        assertThat(backoff.delay(2, 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(backoff.delay(3, 0.5)).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void delay_isCapped_evenAfterVeryManyRetries() {
        assertThat(backoff.delay(5, 0.0)).isEqualTo(Duration.ofMillis(500));
        assertThat(backoff.delay(1_000, 0.999999)).isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.delay(Integer.MAX_VALUE, 0.0)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void nextDelay_isShortenedToTheDeadline_andNullAfterIt() {
        assertThat(backoff.nextDelay(10, 0.5, Duration.ofMillis(9_800))).isEqualTo(Duration.ofMillis(200));
        assertThat(backoff.nextDelay(10, 0.5, Duration.ofSeconds(10))).isNull();
        assertThat(new Backoff(Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO)
                        .nextDelay(1, 0, Duration.ZERO))
                .as("a zero wait tries once")
                .isNull();
    }

    @Test
    void invalidPolicies_sayWhichVariableToChange() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(10)))
                .hasMessage("STARTUP_RETRY_MAX_DELAY_MS (1000) must not be shorter than STARTUP_RETRY_INITIAL_DELAY_MS"
                        + " (2000)");
        assertThatThrownBy(() -> Backoff.fromEnvironment(Map.of("STARTUP_WAIT_MS", "1m")))
                .hasMessageStartingWith("STARTUP_WAIT_MS must be a whole number of milliseconds");
    }

    @Test
    void fromEnvironment_readsTheThreeVariables() {
        Backoff b = Backoff.fromEnvironment(Map.of(
                "STARTUP_WAIT_MS",
                "30000",
                "STARTUP_RETRY_INITIAL_DELAY_MS",
                "50",
                "STARTUP_RETRY_MAX_DELAY_MS",
                "800"));

        assertThat(b).isEqualTo(new Backoff(Duration.ofMillis(50), Duration.ofMillis(800), Duration.ofSeconds(30)));
        assertThat(Backoff.fromEnvironment(Map.of())).isEqualTo(Backoff.DEFAULT);
    }
}
