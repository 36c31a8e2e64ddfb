package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.keys.KeyLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryFormatGateTest {
    @Test
    void formatTwo_onlyWhenEveryLiveWorkerReadsIt() {
        assertThat(EntryFormatGate.decide(2, List.of("a", "b"), List.of("b", "a", "gone")))
                .isEqualTo(2);
        assertThat(EntryFormatGate.decide(2, List.of("a", "old"), List.of("a"))).isEqualTo(1);
        assertThat(EntryFormatGate.decide(2, List.of(), List.of())).isEqualTo(2);
    }

    @Test
    void theOverride_keepsFormatOne_evenWhenEveryoneReadsTwo() {
        assertThat(EntryFormatGate.decide(1, List.of("a"), List.of("a"))).isEqualTo(1);
    }

    @Test
    void aFormatThisReleaseDoesNotKnow_isRefused() {
        assertThatThrownBy(() -> new EntryFormatGate(new KeyLayout("x"), "w", 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entry format must be 1 to 2");
    }
}
