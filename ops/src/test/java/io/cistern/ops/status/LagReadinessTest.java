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
                true,
                Optional.empty(),
                Optional.empty());
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

    @Test
    void down_whileAPartitionIsStalled_whateverTheLagSays_namingItAndItsLastError() {
        PartitionStatus p = partition(0, Duration.ofSeconds(5), false);
        StatusSnapshot s = new StatusSnapshot(Instant.EPOCH, "t", List.of(p));
        PartitionStall stall = new PartitionStall(
                new PartitionStatus(
                        0,
                        7,
                        Duration.ofSeconds(5),
                        Optional.empty(),
                        Optional.of("1-0"),
                        Optional.empty(),
                        7,
                        7,
                        0,
                        0,
                        Optional.empty(),
                        Optional.empty(),
                        OptionalLong.empty(),
                        false,
                        true,
                        Optional.of(new ApplyError("CONNECTION: Connection refused", Optional.empty())),
                        Optional.empty()),
                Instant.EPOCH,
                Duration.ofSeconds(40));

        var health = LagReadiness.evaluate(s, Duration.ofSeconds(300), List.of(stall), Duration.ofSeconds(30));

        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).doesNotContainKey("lag");
        assertThat(health.getDetails().get("stalled").toString())
                .startsWith("partition 0: applied nothing for 40 s with 7 entries waiting, over the 30 s stall bound")
                .contains("last error: CONNECTION: Connection refused");
        assertThat(health.getDetails()).containsEntry("maxStallSeconds", 30.0);
    }

    @Test
    void up_withoutStalls_saysWhenTheStallCheckIsOff() {
        StatusSnapshot s = new StatusSnapshot(Instant.EPOCH, "t", List.of(partition(0, Duration.ofSeconds(5), false)));

        var health = LagReadiness.evaluate(s, Duration.ofSeconds(300), List.of(), Duration.ZERO);

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("stallCheck", "off (CISTERN_READY_MAX_STALL_MS=0)");
    }

    @Test
    void manyStalls_giveTheFirstReasonsInFull_andNameTheOthersByNumber() {
        List<PartitionStatus> partitions = new java.util.ArrayList<>();
        List<PartitionStall> stalls = new java.util.ArrayList<>();
        for (int p = 0; p < 5; p++) {
            PartitionStatus status = partition(p, Duration.ofSeconds(5), false);
            partitions.add(status);
            stalls.add(new PartitionStall(status, Instant.EPOCH, Duration.ofMillis(4_080)));
        }
        StatusSnapshot s = new StatusSnapshot(Instant.EPOCH, "t", partitions);

        String stalled = LagReadiness.evaluate(s, Duration.ZERO, stalls, Duration.ofSeconds(4))
                .getDetails()
                .get("stalled")
                .toString();

        assertThat(stalled)
                .contains("partition 0: applied nothing for 4.1 s with 7 entries waiting, over the 4 s stall bound")
                .contains("partition 2: applied nothing")
                .doesNotContain("partition 3: applied")
                .contains("also stalled: partitions 3, 4 (each with its reason on the dashboard");
    }
}
