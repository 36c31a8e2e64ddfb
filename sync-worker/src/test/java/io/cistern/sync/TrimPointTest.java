package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.sync.TrimPoint.GroupPosition;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrimPointTest {
    private static GroupPosition caughtUp(String name, String lastDelivered) {
        return new GroupPosition(name, lastDelivered, Optional.empty());
    }

    @Test
    void givenOnlyTheSyncGroup_caughtUp_trimsBelowItsLastDeliveredEntry() {
        assertThat(TrimPoint.of(List.of(caughtUp("sync", "20-3")), Optional.of("20-3")))
                .contains("20-3");
    }

    @Test
    void givenAnIdleGroupThatNeverRead_nothingIsTrimmed() {
        assertThat(TrimPoint.of(List.of(caughtUp("sync", "20-3"), caughtUp("audit", "0-0")), Optional.of("20-3")))
                .isEmpty();
    }

    @Test
    void givenAGroupWithPendingEntries_trimsOnlyBelowItsOldestPendingEntry() {
        GroupPosition audit = new GroupPosition("audit", "30-0", Optional.of("12-1"));

        assertThat(TrimPoint.of(List.of(caughtUp("sync", "30-0"), audit), Optional.of("30-0")))
                .contains("12-1");
    }

    @Test
    void theSlowestGroupDecides_comparingIdsAsNumbers() {
        assertThat(TrimPoint.of(List.of(caughtUp("sync", "100-0"), caughtUp("audit", "99-7")), Optional.empty()))
                .contains("99-7");
        assertThat(TrimPoint.of(List.of(caughtUp("sync", "10-0"), caughtUp("audit", "9-0")), Optional.empty()))
                .contains("9-0");
    }

    @Test
    void neverTrimsPastTheAppliedWatermark() {
        assertThat(TrimPoint.of(List.of(caughtUp("sync", "50-0")), Optional.of("40-2")))
                .contains("40-2");
    }

    @Test
    void givenNoGroupAtAll_nothingIsTrimmed() {
        assertThat(TrimPoint.of(List.of(), Optional.of("40-2"))).isEmpty();
    }
}
