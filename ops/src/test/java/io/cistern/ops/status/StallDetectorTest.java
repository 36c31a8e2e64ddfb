package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class StallDetectorTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2026-12-07T14:00:00Z");
    private static final LeaseStatus OWNER =
            new LeaseStatus("worker-a", Optional.empty(), OptionalLong.empty(), Duration.ofSeconds(9));

    private final StallDetector detector = new StallDetector(BOUND);

    /** Partition 0 at {@code seconds} after T0 with {@code backlog} entries above {@code watermark}. */
    private static StatusSnapshot at(long seconds, long backlog, String watermark) {
        return at(seconds, partition(0, backlog, watermark, Optional.of(OWNER), Optional.empty(), Optional.empty()));
    }

    private static StatusSnapshot at(long seconds, PartitionStatus... partitions) {
        return new StatusSnapshot(T0.plusSeconds(seconds), "t", List.of(partitions));
    }

    private static PartitionStatus partition(
            int p,
            long backlog,
            String watermark,
            Optional<LeaseStatus> owner,
            Optional<String> pausedBy,
            Optional<ApplyError> lastError) {
        return new PartitionStatus(
                p,
                backlog,
                backlog == 0 ? Duration.ZERO : Duration.ofSeconds(5),
                Optional.empty(),
                Optional.ofNullable(watermark),
                Optional.empty(),
                backlog,
                backlog,
                0,
                0,
                owner,
                pausedBy,
                OptionalLong.empty(),
                false,
                true,
                lastError,
                Optional.empty());
    }

    @Test
    void backlogWithAWatermarkThatDoesNotMove_stallsOnceTheBoundIsPassed() {
        assertThat(detector.observe(at(0, 10, "1-0"))).isEmpty();
        assertThat(detector.observe(at(30, 12, "1-0")))
                .as("exactly at the bound: not over it")
                .isEmpty();

        List<PartitionStall> stalls = detector.observe(at(31, 15, "1-0"));

        assertThat(stalls).singleElement().satisfies(s -> {
            assertThat(s.partition()).isZero();
            assertThat(s.since()).isEqualTo(T0);
            assertThat(s.stalledFor()).isEqualTo(Duration.ofSeconds(31));
        });
    }

    @Test
    void aMovingWatermark_isNeverStalled_howeverLongTheBacklogLasts() {
        for (int i = 0; i <= 20; i++) {
            assertThat(detector.observe(at(i * 10L, 1_000, i + "-0"))).isEmpty();
        }
    }

    @Test
    void aMove_restartsTheMeasurement_fromTheReadThatSawIt() {
        detector.observe(at(0, 10, "1-0"));
        detector.observe(at(25, 10, "2-0"));

        assertThat(detector.observe(at(50, 10, "2-0"))).isEmpty();
        assertThat(detector.observe(at(56, 10, "2-0")))
                .singleElement()
                .satisfies(s -> assertThat(s.since()).isEqualTo(T0.plusSeconds(25)));
    }

    @Test
    void aWatermarkThatMovesBack_afterRedisLostItsData_countsAsAMove() {
        detector.observe(at(0, 10, "5-0"));

        assertThat(detector.observe(at(40, 10, null))).isEmpty();
        assertThat(detector.observe(at(71, 10, null))).hasSize(1);
    }

    @Test
    void noBacklog_isNeverStalled_andABacklogThatComesBackIsMeasuredFromItsFirstRead() {
        detector.observe(at(0, 10, "1-0"));
        assertThat(detector.observe(at(20, 0, "1-0"))).isEmpty();
        detector.observe(at(40, 3, "1-0"));

        assertThat(detector.observe(at(65, 3, "1-0")))
                .as("25 s since the backlog came back")
                .isEmpty();
        assertThat(detector.observe(at(71, 3, "1-0"))).hasSize(1);
    }

    @Test
    void aPausedPartition_isNotStalled_andIsMeasuredAfreshOnceResumed() {
        PartitionStatus paused = partition(0, 10, "1-0", Optional.of(OWNER), Optional.of("alice"), Optional.empty());
        detector.observe(at(0, 10, "1-0"));

        assertThat(detector.observe(at(40, paused))).isEmpty();
        assertThat(detector.observe(at(100, paused))).isEmpty();
        assertThat(detector.observe(at(101, 10, "1-0"))).as("resumed now").isEmpty();
        assertThat(detector.observe(at(132, 10, "1-0"))).hasSize(1);
    }

    @Test
    void partitions_areMeasuredEachOnItsOwn() {
        Optional<LeaseStatus> owner = Optional.of(OWNER);
        detector.observe(at(
                0,
                partition(0, 5, "1-0", owner, Optional.empty(), Optional.empty()),
                partition(1, 5, "1-0", owner, Optional.empty(), Optional.empty())));

        List<PartitionStall> stalls = detector.observe(at(
                31,
                partition(0, 5, "1-0", owner, Optional.empty(), Optional.empty()),
                partition(1, 5, "9-0", owner, Optional.empty(), Optional.empty())));

        assertThat(stalls).extracting(PartitionStall::partition).containsExactly(0);
    }

    @Test
    void aRedisClockThatStepsBack_restartsTheMeasurementInsteadOfStalling() {
        detector.observe(at(100, 10, "1-0"));

        assertThat(detector.observe(at(0, 10, "1-0"))).isEmpty();
        assertThat(detector.observe(at(29, 10, "1-0"))).isEmpty();
        assertThat(detector.observe(at(31, 10, "1-0"))).hasSize(1);
    }

    @Test
    void zeroBound_turnsTheCheckOff() {
        StallDetector off = new StallDetector(Duration.ZERO);
        off.observe(at(0, 10, "1-0"));

        assertThat(off.observe(at(3_600, 10, "1-0"))).isEmpty();
        assertThatThrownBy(() -> new StallDetector(Duration.ofSeconds(-1)))
                .hasMessageContaining("must not be negative");
    }

    @Test
    void reason_namesThePartition_howLong_theBacklog_theOwner_andTheLastError() {
        ApplyError error = new ApplyError(
                "CONNECTION (SQLSTATE 08001): Connection to db:5432 refused", Optional.of(T0.plusSeconds(12)));
        detector.observe(at(0, partition(0, 40, "1-0", Optional.of(OWNER), Optional.empty(), Optional.of(error))));

        String reason = detector.observe(
                        at(42, partition(0, 40, "1-0", Optional.of(OWNER), Optional.empty(), Optional.of(error))))
                .getFirst()
                .reason(BOUND);

        assertThat(reason)
                .isEqualTo("partition 0: applied nothing for 42 s with 40 entries waiting, over the 30 s stall bound"
                        + " (owner worker-a; last error at 2026-12-07T14:00:12Z: CONNECTION (SQLSTATE 08001):"
                        + " Connection to db:5432 refused)");
    }

    @Test
    void reason_withoutAnOwner_saysSo_andWithoutAnErrorSaysTheWorkerReportedNone() {
        detector.observe(at(0, partition(0, 4, "1-0", Optional.empty(), Optional.empty(), Optional.empty())));
        String unowned = detector.observe(
                        at(31, partition(0, 4, "1-0", Optional.empty(), Optional.empty(), Optional.empty())))
                .getFirst()
                .reason(Duration.ofMillis(2_500));
        detector.observe(at(32, 4, "2-0"));
        String silent = detector.observe(at(63, 4, "2-0")).getFirst().reason(BOUND);

        assertThat(unowned).contains("over the 2.5 s stall bound (no worker owns it)");
        assertThat(silent)
                .endsWith("(owner worker-a; its worker reported no error: a batch may be waiting on an"
                        + " unresponsive database)");
    }
}
