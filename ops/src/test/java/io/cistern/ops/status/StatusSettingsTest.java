package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusSettingsTest {
    @Test
    void defaults_whenNothingIsSet() {
        assertThat(StatusSettings.fromEnvironment(Map.of())).isEqualTo(StatusSettings.defaults());
    }

    @Test
    void readsBothVariables_andZeroTurnsTheLagCheckOff() {
        StatusSettings s = StatusSettings.fromEnvironment(
                Map.of("CISTERN_STATUS_INTERVAL_MS", "500", "CISTERN_READY_MAX_LAG_MS", "0"));

        assertThat(s.refreshInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.readyMaxLag()).isZero();
    }

    @Test
    void badValues_nameTheVariable() {
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_LAG_MS", "5m")))
                .hasMessageContaining("CISTERN_READY_MAX_LAG_MS")
                .hasMessageContaining("milliseconds");
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(Map.of("CISTERN_STATUS_INTERVAL_MS", "10")))
                .hasMessageContaining("CISTERN_STATUS_INTERVAL_MS")
                .hasMessageContaining("at least 100");
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_LAG_MS", "-1")))
                .hasMessageContaining("0 (off) or more");
    }

    @Test
    void stallBound_defaultsTo30s_readsItsVariable_andZeroTurnsTheCheckOff() {
        assertThat(StatusSettings.defaults().readyMaxStall()).isEqualTo(Duration.ofSeconds(30));
        assertThat(StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_STALL_MS", "4000"))
                        .readyMaxStall())
                .isEqualTo(Duration.ofSeconds(4));
        assertThat(StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_STALL_MS", "0"))
                        .readyMaxStall())
                .isZero();
    }

    @Test
    void stallBound_negativeOrShorterThanTheRefreshInterval_isRefusedNamingBothVariables() {
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_STALL_MS", "-1")))
                .hasMessageContaining("CISTERN_READY_MAX_STALL_MS must be 0 (off) or at least")
                .hasMessageContaining("was -1");
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(
                        Map.of("CISTERN_STATUS_INTERVAL_MS", "5000", "CISTERN_READY_MAX_STALL_MS", "3000")))
                .hasMessageContaining("CISTERN_READY_MAX_STALL_MS")
                .hasMessageContaining("CISTERN_STATUS_INTERVAL_MS (5000)")
                .hasMessageContaining("was 3000");
        assertThatThrownBy(() -> StatusSettings.fromEnvironment(Map.of("CISTERN_READY_MAX_STALL_MS", "30s")))
                .hasMessageContaining("CISTERN_READY_MAX_STALL_MS")
                .hasMessageContaining("milliseconds");
    }

    @Test
    void mutateWithoutChanges_buildsAnEqualCopy() {
        StatusSettings s = StatusSettings.fromEnvironment(Map.of("CISTERN_STATUS_INTERVAL_MS", "500"));

        assertThat(s.mutate().build()).isEqualTo(s);
    }

    @Test
    void mutateOneValue_changesOnlyThatValue() {
        StatusSettings d = StatusSettings.defaults();

        StatusSettings laxer = d.mutate().readyMaxLag(Duration.ZERO).build();
        StatusSettings faster =
                d.mutate().refreshInterval(Duration.ofMillis(500)).build();

        assertThat(laxer).isEqualTo(new StatusSettings(d.refreshInterval(), Duration.ZERO, d.readyMaxStall()));
        assertThat(faster).isEqualTo(new StatusSettings(Duration.ofMillis(500), d.readyMaxLag(), d.readyMaxStall()));
        assertThatThrownBy(
                        () -> d.mutate().refreshInterval(Duration.ofMillis(10)).build())
                .hasMessageContaining("CISTERN_STATUS_INTERVAL_MS");
    }
}
