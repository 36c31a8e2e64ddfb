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

    @Test
    void replicaWait_isOffByDefault_andReadFromItsVariables() {
        assertThat(WriterSettings.fromEnvironment(Map.of()).waitsForReplicas()).isFalse();

        WriterSettings s = WriterSettings.fromEnvironment(
                Map.of("CISTERN_WRITER_WAIT_REPLICAS", "2", "CISTERN_WRITER_WAIT_TIMEOUT_MS", "250"));

        assertThat(s.waitReplicas()).isEqualTo(2);
        assertThat(s.waitTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.waitsForReplicas()).isTrue();
    }

    @Test
    void replicaWaitThatCannotWork_namesTheVariableAndTheFix() {
        assertThatThrownBy(() -> WriterSettings.fromEnvironment(Map.of("CISTERN_WRITER_WAIT_REPLICAS", "-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CISTERN_WRITER_WAIT_REPLICAS");
        assertThatThrownBy(() -> WriterSettings.fromEnvironment(Map.of("CISTERN_WRITER_WAIT_TIMEOUT_MS", "0")))
                .hasMessage("waitTimeout (CISTERN_WRITER_WAIT_TIMEOUT_MS) must be at least 1 ms, was PT0S");
        assertThatThrownBy(() -> WriterSettings.fromEnvironment(Map.of(
                        "CISTERN_WRITER_WAIT_REPLICAS", "1",
                        "CISTERN_WRITER_WAIT_TIMEOUT_MS", "2000",
                        "REDIS_COMMAND_TIMEOUT_MS", "2000")))
                .hasMessage("waitTimeout (CISTERN_WRITER_WAIT_TIMEOUT_MS, 2000 ms) must be shorter than the Redis"
                        + " command timeout (REDIS_COMMAND_TIMEOUT_MS, 2000 ms): the WAIT is one Redis command;"
                        + " lower CISTERN_WRITER_WAIT_TIMEOUT_MS or raise REDIS_COMMAND_TIMEOUT_MS");
    }

    @Test
    void mutateWithoutChanges_buildsAnEqualCopy() {
        WriterSettings s = WriterSettings.fromEnvironment(Map.of("CISTERN_PREFIX", "shop"));

        assertThat(s.mutate().build()).isEqualTo(s);
    }

    @Test
    void mutateOneValue_changesOnlyThatValue() {
        WriterSettings s = WriterSettings.of("redis://127.0.0.1:6379");

        WriterSettings prefixed = s.mutate().prefix("shop").build();
        WriterSettings slower =
                s.mutate().registryRefresh(Duration.ofSeconds(5)).build();

        assertThat(prefixed.layout().prefix()).isEqualTo("shop");
        assertThat(prefixed).usingRecursiveComparison().ignoringFields("layout").isEqualTo(s);
        assertThat(slower.registryRefresh()).isEqualTo(Duration.ofSeconds(5));
        assertThat(slower)
                .usingRecursiveComparison()
                .ignoringFields("registryRefresh")
                .isEqualTo(s);
        assertThatThrownBy(
                        () -> s.mutate().registryRefresh(Duration.ofMillis(-1)).build())
                .hasMessageContaining("CISTERN_REGISTRY_REFRESH_MS");
    }
}
