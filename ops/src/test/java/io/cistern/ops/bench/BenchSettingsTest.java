package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchSettingsTest {
    @Test
    void noScenarioNamed_runsEveryScenarioAtTheQuickSize() {
        BenchSettings s = settings(List.of(), BenchSettings.Size.of(List.of()));

        assertThat(s.scenarios()).containsExactly("write", "sync-insert", "sync-update", "memory", "read", "http");
        assertThat(BenchSettings.Size.of(List.of())).isEqualTo(BenchSettings.Size.QUICK);
        assertThat(s.records()).isLessThan(BenchSettings.Size.FULL.records());
        assertThat(s.writes()).isLessThan(BenchSettings.Size.FULL.writes());
        assertThat(s.httpWrites()).isLessThan(BenchSettings.Size.FULL.httpWrites());
    }

    @Test
    void namedScenarios_useTheFullSize() {
        assertThat(BenchSettings.Size.of(List.of("write"))).isEqualTo(BenchSettings.Size.FULL);
    }

    @Test
    void unknownScenario_isRefusedListingTheAvailableOnes() {
        assertThatThrownBy(() -> settings(List.of("reed"), BenchSettings.Size.FULL))
                .hasMessageContaining("unknown scenario 'reed'")
                .hasMessageContaining("memory, read");
    }

    @Test
    void zipfExponentOutOfRange_isRefusedNamingTheOption() {
        assertThatThrownBy(() -> new BenchSettings(
                        List.of("read"),
                        1,
                        1,
                        1,
                        1,
                        1,
                        1,
                        2,
                        1,
                        1,
                        1,
                        1,
                        Duration.ofSeconds(1),
                        true,
                        1,
                        1,
                        -1,
                        5,
                        1,
                        1,
                        1,
                        1,
                        BenchSettings.DEFAULT_LATENCY_SHARE))
                .hasMessageContaining("--zipf");
    }

    @Test
    void latencyShareOutOfRange_isRefusedNamingTheOption() {
        BenchSettings ok = settings(List.of("sync-insert"), BenchSettings.Size.FULL);
        for (double share : new double[] {0, -0.5, 1.5}) {
            assertThatThrownBy(() -> withLatencyShare(ok, share))
                    .hasMessageContaining("--latency-share")
                    .hasMessageContaining(Double.toString(share));
        }
        assertThat(withLatencyShare(ok, 0.3).latencyShare()).isEqualTo(0.3);
    }

    private static BenchSettings withLatencyShare(BenchSettings s, double share) {
        return new BenchSettings(
                s.scenarios(),
                s.writes(),
                s.pipeline(),
                s.columns(),
                s.valueBytes(),
                s.writeRounds(),
                s.records(),
                s.keys(),
                s.partitions(),
                s.workers(),
                s.batchSize(),
                s.syncRounds(),
                s.duration(),
                s.json(),
                s.readKeys(),
                s.reads(),
                s.zipfExponent(),
                s.maxWarmUpPairs(),
                s.httpWrites(),
                s.httpConnections(),
                s.httpBatchConnections(),
                s.httpBatchSize(),
                share);
    }

    private static BenchSettings settings(List<String> scenarios, BenchSettings.Size size) {
        return new BenchSettings(
                scenarios,
                size.writes(),
                64,
                4,
                32,
                size.writeRounds(),
                size.records(),
                2_000,
                4,
                1,
                1_000,
                size.syncRounds(),
                size.duration(),
                true,
                size.readKeys(),
                size.reads(),
                0.99,
                BenchSettings.DEFAULT_MAX_WARM_UP_PAIRS,
                size.httpWrites(),
                100,
                16,
                100,
                BenchSettings.DEFAULT_LATENCY_SHARE);
    }
}
