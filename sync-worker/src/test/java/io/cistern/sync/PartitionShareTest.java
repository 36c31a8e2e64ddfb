package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PartitionShareTest {
    private static Set<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().collect(Collectors.toSet());
    }

    @Test
    void aLoneWorker_takesEveryPartition() {
        PartitionShare share = PartitionShare.decide(16, 1, Set.of(), Set.of());

        assertThat(share.fairShare()).isEqualTo(16);
        assertThat(share.toTake()).isEqualTo(16);
        assertThat(share.toRelease()).isEmpty();
    }

    @Test
    void givenAllSixteen_whenASecondWorkerJoins_releasesTheHighestEight() {
        PartitionShare share = PartitionShare.decide(16, 2, range(0, 16), Set.of());

        assertThat(share.fairShare()).isEqualTo(8);
        assertThat(share.toRelease()).containsExactly(15, 14, 13, 12, 11, 10, 9, 8);
        assertThat(share.toTake()).isZero();
    }

    @Test
    void partitionsAlreadyBeingReleased_areNotReleasedAgain_andNothingIsTakenMeanwhile() {
        PartitionShare share = PartitionShare.decide(16, 2, range(0, 16), range(8, 16));

        assertThat(share.toRelease()).isEmpty();
        assertThat(share.toTake()).isZero();
    }

    @Test
    void aWorkerBelowItsShare_takesTheDifference() {
        PartitionShare share = PartitionShare.decide(16, 2, range(0, 5), Set.of());

        assertThat(share.toTake()).isEqualTo(3);
        assertThat(share.toRelease()).isEmpty();
    }

    @Test
    void sharesRoundUp_soTogetherTheyAlwaysCoverEveryPartition() {
        for (int partitions = 1; partitions <= 64; partitions++) {
            for (int workers = 1; workers <= 10; workers++) {
                int share = PartitionShare.decide(partitions, workers, Set.of(), Set.of())
                        .fairShare();
                assertThat(share * workers).isGreaterThanOrEqualTo(partitions);
                assertThat((share - 1) * workers).isLessThan(partitions);
            }
        }
    }

    @Test
    void whenTheOtherWorkerLeaves_theSurvivorMayTakeEverything() {
        PartitionShare share = PartitionShare.decide(16, 1, range(0, 8), Set.of());

        assertThat(share.toTake()).isEqualTo(8);
    }

    @Test
    void aLiveCountBelowOne_countsThisWorker() {
        assertThat(PartitionShare.decide(4, 0, Set.of(), Set.of()).fairShare()).isEqualTo(4);
        assertThatThrownBy(() -> PartitionShare.decide(0, 1, Set.of(), Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitions must be positive");
    }
}
