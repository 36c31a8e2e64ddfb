package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SyncWaitTest {

    @Test
    void noWait_meansNoWaiting() {
        assertThat(SyncWait.fromQuery(null)).isEmpty();
        assertThat(SyncWait.fromQuery("other=1")).isEmpty();
    }

    @Test
    void waitSynced_withoutTimeout_takesTheDefault() {
        assertThat(SyncWait.fromQuery("wait=synced")).contains(Duration.ofSeconds(5));
    }

    @Test
    void timeouts_readShortFormsAndIso8601() {
        assertThat(SyncWait.fromQuery("wait=synced&timeout=500ms")).contains(Duration.ofMillis(500));
        assertThat(SyncWait.fromQuery("wait=synced&timeout=5s")).contains(Duration.ofSeconds(5));
        assertThat(SyncWait.fromQuery("timeout=1m&wait=synced")).contains(Duration.ofMinutes(1));
        assertThat(SyncWait.fromQuery("wait=synced&timeout=PT2.5S")).contains(Duration.ofMillis(2500));
        assertThat(SyncWait.fromQuery("wait=synced&timeout=pt60s")).contains(Duration.ofSeconds(60));
        assertThat(SyncWait.fromQuery("wait=synced&timeout=0s")).contains(Duration.ZERO);
    }

    @Test
    void badTimeouts_areRefusedNamingTheParameter() {
        for (String t : new String[] {"5", "soon", "5 s", "-1s", "PT-1S", "61s", "PT1H", "2m", "1.5s", ""}) {
            assertThatThrownBy(() -> SyncWait.parse("synced", t))
                    .as(t)
                    .isInstanceOfSatisfying(RequestRefusedException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.field()).isEqualTo("timeout");
                        assertThat(e.getMessage()).contains("'timeout'", "'" + t + "'");
                    });
        }
    }

    @Test
    void unknownWait_orTimeoutWithoutWait_areRefused() {
        assertThatThrownBy(() -> SyncWait.parse("applied", null))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("wait"));
        assertThatThrownBy(() -> SyncWait.parse(null, "5s"))
                .isInstanceOfSatisfying(
                        RequestRefusedException.class,
                        e -> assertThat(e.field()).isEqualTo("timeout"));
    }
}
