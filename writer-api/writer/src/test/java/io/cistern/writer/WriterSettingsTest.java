package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriterSettingsTest {
    @Test
    void environment_setsThePrefixAndTheRefresh() {
        WriterSettings s = WriterSettings.fromEnvironment(
                Map.of("CISTERN_PREFIX", " shop ", "CISTERN_REGISTRY_REFRESH_MS", "250"));

        assertThat(s.layout().prefix()).isEqualTo("shop");
        assertThat(s.registryRefresh()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void nothingSet_takesTheDefaults() {
        WriterSettings s = WriterSettings.fromEnvironment(Map.of("CISTERN_PREFIX", " "));

        assertThat(s.layout().prefix()).isEqualTo("cistern");
        assertThat(s.registryRefresh()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void refreshThatIsNotANumber_namesTheVariable() {
        assertThatThrownBy(() -> WriterSettings.fromEnvironment(Map.of("CISTERN_REGISTRY_REFRESH_MS", "1s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CISTERN_REGISTRY_REFRESH_MS must be a whole number of milliseconds (for example 5000),"
                        + " was '1s'");
        assertThatThrownBy(() -> WriterSettings.fromEnvironment(Map.of("CISTERN_REGISTRY_REFRESH_MS", "-1")))
                .hasMessage("CISTERN_REGISTRY_REFRESH_MS must not be negative, was -1");
    }
}
