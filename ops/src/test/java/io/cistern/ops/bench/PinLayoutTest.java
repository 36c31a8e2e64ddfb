package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PinLayoutTest {
    @Test
    void of_givesPostgresTheFirstHalfRoundedDown_andTheRestToRedisAndTheJvm() {
        assertThat(PinLayout.of(2)).isEqualTo(new PinLayout(2, "0", "1"));
        assertThat(PinLayout.of(3)).isEqualTo(new PinLayout(3, "0", "1,2"));
        assertThat(PinLayout.of(4)).isEqualTo(new PinLayout(4, "0,1", "2,3"));
    }

    @Test
    void of_oneCore_isRefused() {
        assertThatThrownBy(() -> PinLayout.of(1)).hasMessageContaining("at least 2 cores");
    }
}
