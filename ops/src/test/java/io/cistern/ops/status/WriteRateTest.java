package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WriteRateTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void rateIsEntriesAddedOverTimeAcrossTheWindow() {
        WriteRate rate = new WriteRate(Duration.ofSeconds(60));

        rate.record(T0, 1_000);
        assertThat(rate.perSecond()).as("one point is no rate").isEmpty();
        rate.record(T0.plusSeconds(2), 1_100);
        rate.record(T0.plusSeconds(4), 1_400);

        assertThat(rate.perSecond().getAsDouble()).isCloseTo(100.0, within(1e-9));
    }

    @Test
    void pointsOlderThanTheWindowAreDropped_soAnOldBurstFades() {
        WriteRate rate = new WriteRate(Duration.ofSeconds(10));

        rate.record(T0, 0);
        rate.record(T0.plusSeconds(1), 10_000); // a burst
        for (int s = 2; s <= 30; s++) {
            rate.record(T0.plusSeconds(s), 10_000 + (s - 1) * 5L);
        }

        assertThat(rate.perSecond().getAsDouble()).isCloseTo(5.0, within(1e-9));
    }

    @Test
    void fewerEntriesThanBefore_redisLostItsData_startsAfresh() {
        WriteRate rate = new WriteRate(Duration.ofSeconds(60));
        rate.record(T0, 5_000);
        rate.record(T0.plusSeconds(1), 5_100);

        rate.record(T0.plusSeconds(2), 10);

        assertThat(rate.perSecond()).isEmpty();
        rate.record(T0.plusSeconds(3), 30);
        assertThat(rate.perSecond().getAsDouble()).isCloseTo(20.0, within(1e-9));
    }
}
