package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResponseBoundTest {
    private static final Duration STALL = Duration.ofSeconds(5);

    @Test
    void fastBatches_getTheStallTimeout() {
        ResponseBound bound = new ResponseBound(STALL);
        bound.succeeded(Duration.ofMillis(30), true);

        assertThat(bound.current()).isEqualTo(STALL);
    }

    @Test
    void slowBatches_getFourTimesTheirRecentTime() {
        ResponseBound bound = new ResponseBound(STALL);
        bound.succeeded(Duration.ofSeconds(3), true);

        assertThat(bound.current()).isEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void oneSlowBatch_isForgottenGradually() {
        ResponseBound bound = new ResponseBound(STALL);
        bound.succeeded(Duration.ofSeconds(4), true);
        bound.succeeded(Duration.ofMillis(10), true);

        assertThat(bound.current()).isEqualTo(Duration.ofSeconds(12));
        for (int i = 0; i < 20; i++) {
            bound.succeeded(Duration.ofMillis(10), true);
        }
        assertThat(bound.current()).isEqualTo(STALL);
    }

    @Test
    void eachStall_doublesTheBound_andASuccessResetsIt() {
        ResponseBound bound = new ResponseBound(STALL);
        bound.stalled();
        assertThat(bound.current()).isEqualTo(Duration.ofSeconds(10));
        bound.stalled();
        assertThat(bound.current()).isEqualTo(Duration.ofSeconds(20));

        bound.succeeded(Duration.ofMillis(50), true);

        assertThat(bound.current()).isEqualTo(STALL);
        assertThat(bound.stalls()).isZero();
    }

    @Test
    void aRetrysTime_isNotLearned_butItsSuccessEndsTheStalls() {
        ResponseBound bound = new ResponseBound(STALL);
        bound.stalled();

        bound.succeeded(Duration.ofSeconds(9), false);

        assertThat(bound.current()).isEqualTo(STALL);
    }

    @Test
    void manyStalls_doNotOverflow() {
        ResponseBound bound = new ResponseBound(STALL);
        for (int i = 0; i < 100; i++) {
            bound.stalled();
        }
        assertThat(bound.current()).isEqualTo(STALL.multipliedBy(1024));
    }

    @Test
    void zeroStallTimeout_turnsTheBoundOff() {
        ResponseBound bound = new ResponseBound(Duration.ZERO);
        bound.stalled();

        assertThat(bound.current()).isZero();
    }

    @Test
    void negativeStallTimeout_isRefused() {
        assertThatThrownBy(() -> new ResponseBound(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stallTimeout must not be negative");
    }
}
