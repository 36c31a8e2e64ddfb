package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuMeterTest {
    @Test
    void parseCommandStats_readsCallsAndUsecOfEachCommand_skipsOtherLines() {
        String info = """
                # Commandstats\r
                cmdstat_xreadgroup:calls=120,usec=480000,usec_per_call=4000.00,rejected_calls=0,failed_calls=0\r
                cmdstat_FCALL:calls=7,usec=210,usec_per_call=30.00,rejected_calls=0,failed_calls=1\r
                cmdstat_client|setname:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r
                errorstat_ERR:count=1\r
                """;

        var stats = CpuMeter.parseCommandStats(info);

        assertThat(stats).containsOnlyKeys("xreadgroup", "fcall", "client|setname");
        assertThat(stats.get("xreadgroup")).isEqualTo(new CpuMeter.CommandStat(120, 480_000));
        assertThat(stats.get("fcall")).isEqualTo(new CpuMeter.CommandStat(7, 210));
    }

    @Test
    void processTreeSeconds_countsTheRootProcess() {
        long self = ProcessHandle.current().pid();
        // This JVM has compiled and run the test by now: well over one clock tick of CPU.
        double seconds = CpuMeter.processTreeSeconds(self);

        assertThat(seconds).isPositive();
        assertThat(CpuMeter.processTreeSeconds(Long.MAX_VALUE)).isZero();
    }
}
