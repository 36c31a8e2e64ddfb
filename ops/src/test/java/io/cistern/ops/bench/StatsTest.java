package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void percentile_isNearestRank_neverInterpolated() {
        double[] oneToHundred = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();

        assertThat(Stats.percentile(oneToHundred, 50)).isEqualTo(50);
        assertThat(Stats.percentile(oneToHundred, 99)).isEqualTo(99);
        assertThat(Stats.percentile(oneToHundred, 100)).isEqualTo(100);
        assertThat(Stats.percentile(new double[] {3, 1, 2}, 50)).isEqualTo(2);
    }

    @Test
    void percentile_ofOneValue_isThatValue() {
        assertThat(Stats.percentile(new double[] {7.5}, 1)).isEqualTo(7.5);
        assertThat(Stats.percentile(new double[] {7.5}, 99)).isEqualTo(7.5);
    }

    @Test
    void percentile_ofTenValues_p99IsTheLargest() {
        double[] values = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

        assertThat(Stats.percentile(values, 99)).isEqualTo(10);
        assertThat(Stats.percentile(values, 90)).isEqualTo(9);
    }

    @Test
    void percentile_rejectsNoValuesAndOutOfRangeRanks() {
        assertThatThrownBy(() -> Stats.percentile(new double[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.percentile(new double[] {1}, 0))
                .hasMessageContaining("percentile must be in (0, 100]");
    }

    @Test
    void median_ofEvenCount_averagesTheMiddlePair() {
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
    }
}
