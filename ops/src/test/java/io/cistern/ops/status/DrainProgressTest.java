package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class DrainProgressTest {
    private static PartitionStatus partition(int p, long backlog, String firstUnapplied, String last, long dlq) {
        return new PartitionStatus(
                p,
                backlog,
                backlog == 0 ? Duration.ZERO : Duration.ofSeconds(1),
                Optional.ofNullable(firstUnapplied),
                Optional.empty(),
                Optional.ofNullable(last),
                backlog,
                backlog,
                0,
                dlq,
                Optional.empty(),
                Optional.empty(),
                OptionalLong.empty(),
                false,
                true,
                Optional.empty(),
                Optional.empty());
    }

    private static StatusSnapshot snapshot(PartitionStatus... partitions) {
        return new StatusSnapshot(Instant.EPOCH, "t", List.of(partitions));
    }

    @Test
    void emptyPartitions_areDrainedFromTheStart() {
        StatusSnapshot start = snapshot(partition(0, 0, null, null, 0), partition(1, 0, null, "5-0", 0));

        assertThat(DrainProgress.from(start).drained(start)).isTrue();
        assertThat(DrainProgress.from(start).remaining(start)).isZero();
    }

    @Test
    void partitionIsDrained_whenItsFirstUnappliedEntryIsPastTheTargetOrGone() {
        StatusSnapshot start = snapshot(partition(0, 3, "10-0", "12-0", 0), partition(1, 2, "20-0", "21-0", 0));
        DrainProgress drain = DrainProgress.from(start);

        StatusSnapshot partly = snapshot(partition(0, 4, "12-0", "14-0", 0), partition(1, 0, null, "21-0", 0));
        StatusSnapshot laterWritesOnly = snapshot(partition(0, 2, "13-0", "14-0", 0), partition(1, 0, null, "21-0", 0));

        assertThat(drain.drained(partly, 0))
                .as("entry 12-0 was written before the start")
                .isFalse();
        assertThat(drain.drained(partly, 1)).isTrue();
        assertThat(drain.undrained(partly))
                .extracting(PartitionStatus::partition)
                .containsExactly(0);
        assertThat(drain.remaining(partly)).as("capped at the start's backlog").isEqualTo(3);
        assertThat(drain.drained(laterWritesOnly)).isTrue();
    }

    @Test
    void idsCompareAsNumbers_notText() {
        StatusSnapshot start = snapshot(partition(0, 1, "9-0", "9-0", 0));

        assertThat(DrainProgress.from(start).drained(snapshot(partition(0, 1, "10-0", "10-0", 0))))
                .isTrue();
    }

    @Test
    void deadLettersAdded_neverNegative() {
        StatusSnapshot start = snapshot(partition(0, 1, "9-0", "9-0", 3));
        DrainProgress drain = DrainProgress.from(start);

        assertThat(drain.deadLettersAdded(snapshot(partition(0, 0, null, "9-0", 5))))
                .isEqualTo(2);
        assertThat(drain.deadLettersAdded(snapshot(partition(0, 0, null, "9-0", 1))))
                .isZero();
    }
}
