package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2), new SplittableRandom(7));

    @Test
    void delayDoublesPerAttempt_withJitterInTheUpperHalf_andStopsAtTheCap() {
        long[] ceilings = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
        for (int attempt = 1; attempt <= ceilings.length; attempt++) {
            for (int sample = 0; sample < 200; sample++) {
                long ms = backoff.delay(attempt).toMillis();
                assertThat(ms).as("attempt %d", attempt).isBetween(ceilings[attempt - 1] / 2, ceilings[attempt - 1]);
            }
        }
        assertThat(backoff.delay(10_000)).isLessThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void attemptsStartAtOne() {
        assertThatThrownBy(() -> backoff.delay(0)).hasMessageContaining("attempt must be 1 or more");
    }
}
