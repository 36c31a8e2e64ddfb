package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.SlotHash;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class PartitionSpreadTest {
    private static final List<String> MASTERS = List.of("a", "b", "c");

    /** The slot ranges {@code redis-cli --cluster create} gives 3 masters, and KeyLayout's {@code {p}} tag. */
    private static final IntFunction<String> EVEN_RANGES = p -> {
        int slot = SlotHash.getSlot("cistern:{" + p + "}:m");
        return slot <= 5460 ? "a" : slot <= 10922 ? "b" : "c";
    };

    @Test
    void sixteenPartitions_fall664_andAreUneven() {
        PartitionSpread spread = PartitionSpread.of(16, MASTERS, EVEN_RANGES);

        assertThat(spread.counts().values()).containsExactlyInAnyOrder(6, 6, 4);
        assertThat(spread.even()).isFalse();
        assertThat(spread.describe()).endsWith(" 4");
    }

    @Test
    void sixtyFourPartitions_fall212221_andAreEven() {
        PartitionSpread spread = PartitionSpread.of(64, MASTERS, EVEN_RANGES);

        assertThat(spread.counts().values()).containsExactlyInAnyOrder(21, 22, 21);
        assertThat(spread.even()).isTrue();
    }

    @Test
    void aMasterWithoutPartitions_countsAsZero_andMakesTheSpreadUneven() {
        PartitionSpread spread = PartitionSpread.of(4, MASTERS, p -> p % 2 == 0 ? "a" : "b");

        assertThat(spread.counts()).containsEntry("c", 0);
        assertThat(spread.even()).isFalse();
    }

    @Test
    void suggest_findsTheSmallestEvenCountFromTheGivenOne() {
        int suggested = PartitionSpread.suggest(16, 256, MASTERS, EVEN_RANGES).orElseThrow();

        assertThat(suggested).isGreaterThan(16).isLessThanOrEqualTo(64);
        assertThat(PartitionSpread.of(suggested, MASTERS, EVEN_RANGES).even()).isTrue();
        for (int n = 16; n < suggested; n++) {
            assertThat(PartitionSpread.of(n, MASTERS, EVEN_RANGES).even())
                    .as("%d partitions", n)
                    .isFalse();
        }
    }

    @Test
    void oneMaster_isAlwaysEven() {
        assertThat(PartitionSpread.of(16, List.of("only"), p -> "only").even()).isTrue();
    }
}
