package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

class LagReadinessTest {
    private static PartitionStatus partition(int p, Duration age, boolean paused) {
        return new PartitionStatus(
                p,
                age.isZero() ? 0 : 7,
                age,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                7,
                7,
                0,
                0,
                Optional.empty(),
                paused ? Optional.of("alice") : Optional.empty(),
                OptionalLong.empty(),
                false,
                true);
    }

    @Test
    void down_namesThePartitionItsAgeAndBacklog() {
        StatusSnapshot s = new StatusSnapshot(
                Instant.EPOCH,
                "t",
                List.of(partition(0, Duration.ZERO, false), partition(1, Duration.ofSeconds(400), true)));

        var health = LagReadiness.evaluate(s, Duration.ofSeconds(300));

        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails().get("lag").toString())
                .contains("partition 1: oldest unapplied entry is 400 s old, over the 300 s threshold (backlog 7")
                .contains("paused by alice")
                .contains("no worker owns it")
                .doesNotContain("partition 0");
    }

    @Test
    void up_underTheThreshold_andWhenTheCheckIsOff() {
        StatusSnapshot s =
                new StatusSnapshot(Instant.EPOCH, "t", List.of(partition(0, Duration.ofSeconds(400), false)));

        assertThat(LagReadiness.evaluate(s, Duration.ofSeconds(500)).getStatus())
                .isEqualTo(Status.UP);
        assertThat(LagReadiness.evaluate(s, Duration.ZERO).getStatus()).isEqualTo(Status.UP);
    }
}
