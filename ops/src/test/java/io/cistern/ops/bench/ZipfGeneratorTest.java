package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ZipfGeneratorTest {
    @Test
    void exponentOne_hottestKeyComesUpAtOneOverTheHarmonicNumber() {
        ZipfGenerator zipf = new ZipfGenerator(1_000, 1.0, 7);
        double harmonic = 0;
        for (int i = 1; i <= 1_000; i++) {
            harmonic += 1.0 / i;
        }

        int[] counts = draw(zipf, 200_000);

        assertThat(zipf.probability(0)).isCloseTo(1 / harmonic, within(1e-12));
        assertThat(counts[0] / 200_000.0).isCloseTo(1 / harmonic, within(0.005));
        assertThat(counts[1] / 200_000.0).isCloseTo(0.5 / harmonic, within(0.005));
    }

    @Test
    void skewedMix_isHotterForLowerIndices() {
        int[] counts = draw(new ZipfGenerator(100, 0.99, 11), 100_000);

        assertThat(counts[0]).isGreaterThan(counts[1]);
        assertThat(counts[1]).isGreaterThan(counts[9]);
        assertThat(counts[9]).isGreaterThan(counts[99]);
    }

    @Test
    void exponentZero_isUniform() {
        int[] counts = draw(new ZipfGenerator(10, 0, 3), 100_000);

        for (int c : counts) {
            assertThat(c / 100_000.0).isCloseTo(0.1, within(0.01));
        }
    }

    @Test
    void sameSeed_drawsTheSameKeys_soScenarioAndBaselineReadOneMix() {
        ZipfGenerator a = new ZipfGenerator(500, 0.99, 42);
        ZipfGenerator b = new ZipfGenerator(500, 0.99, 42);

        for (int i = 0; i < 1_000; i++) {
            assertThat(a.next()).isEqualTo(b.next());
        }
    }

    @Test
    void everyDraw_isAValidIndex_andProbabilitiesSumToOne() {
        ZipfGenerator zipf = new ZipfGenerator(3, 2.0, 5);
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            sum += zipf.probability(i);
        }

        assertThat(draw(zipf, 10_000)).hasSize(3);
        assertThat(sum).isCloseTo(1.0, within(1e-12));
        assertThat(zipf.shareOfHottest(3)).isEqualTo(1.0);
        assertThat(zipf.shareOfHottest(1)).isCloseTo(zipf.probability(0), within(1e-12));
    }

    @Test
    void badArguments_areRefusedNamingTheRule() {
        assertThatThrownBy(() -> new ZipfGenerator(0, 1, 1)).hasMessageContaining("at least one key");
        assertThatThrownBy(() -> new ZipfGenerator(10, -0.5, 1)).hasMessageContaining("exponent must be 0 or more");
    }

    private static int[] draw(ZipfGenerator zipf, int n) {
        int[] counts = new int[zipf.size()];
        for (int i = 0; i < n; i++) {
            counts[zipf.next()]++;
        }
        return counts;
    }
}
