package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SyncSettingsTest {
    private final SyncSettings defaults = SyncSettings.defaults(KeyLayout.defaults());

    @Test
    void defaultsAreValid_andNameTheWorker() {
        assertThat(defaults.batchSize()).isEqualTo(1_000);
        assertThat(defaults.workerId()).isNotBlank();
    }

    @Test
    void renewalSlowerThanHalfTheLease_isRefusedSayingWhatToChange() {
        assertThatThrownBy(() -> defaults.withLease(Duration.ofSeconds(4), Duration.ofSeconds(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("renewInterval (3000 ms) must be at most half of leaseTime (4000 ms)");
    }

    @Test
    void nonsensicalValues_areRefused() {
        assertThatThrownBy(() -> defaults.withBatchSize(0)).hasMessageContaining("batchSize must be between 1");
        assertThatThrownBy(() -> defaults.withLinger(Duration.ofMillis(-1))).hasMessageContaining("linger");
        assertThatThrownBy(() -> defaults.withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("backoffMax (1000 ms) must not be below backoffInitial (2000 ms)");
    }
}
