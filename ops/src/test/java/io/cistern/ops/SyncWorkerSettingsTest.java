package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SyncWorkerSettingsTest {
    private static final Map<String, String> ENV = Map.of(
            "SYNC_WORKER_ID", "from-env",
            "SYNC_BATCH_SIZE", "200",
            "SYNC_LINGER_MS", "50",
            "SYNC_LEASE_MS", "30000");

    private static SyncWorkerCommand parse(String... args) {
        SyncWorkerCommand command = new SyncWorkerCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void withoutFlags_theWorkerIsConfiguredByTheEnvironment() {
        var settings = parse().settings(ENV, KeyLayout.defaults());

        assertThat(settings.workerId()).isEqualTo("from-env");
        assertThat(settings.batchSize()).isEqualTo(200);
        assertThat(settings.linger()).isEqualTo(Duration.ofMillis(50));
        assertThat(settings.leaseTime()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void flags_overrideTheEnvironment_andLeaveTheRestToIt() {
        var settings = parse("--worker-id", "from-flag", "--batch-size", "7", "--linger-ms", "0")
                .settings(ENV, KeyLayout.defaults());

        assertThat(settings.workerId()).isEqualTo("from-flag");
        assertThat(settings.batchSize()).isEqualTo(7);
        assertThat(settings.linger()).isZero();
        assertThat(settings.leaseTime()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badVariable_isRefusedNamingIt_evenWhenAFlagOverridesIt() {
        assertThatThrownBy(() ->
                        parse("--batch-size", "7").settings(Map.of("SYNC_BATCH_SIZE", "ten"), KeyLayout.defaults()))
                .hasMessage("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'");
    }
}
