package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        assertThatThrownBy(() -> defaults.mutate()
                        .leaseTime(Duration.ofSeconds(4))
                        .renewInterval(Duration.ofSeconds(3))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("renewInterval (3000 ms) must be at most half of leaseTime (4000 ms)");
    }

    @Test
    void nonsensicalValues_areRefused() {
        assertThatThrownBy(() -> defaults.mutate().batchSize(0).build())
                .hasMessageContaining("batchSize must be between 1");
        assertThatThrownBy(() -> defaults.mutate().linger(Duration.ofMillis(-1)).build())
                .hasMessageContaining("linger");
        assertThatThrownBy(() -> defaults.mutate()
                        .backoffInitial(Duration.ofSeconds(2))
                        .backoffMax(Duration.ofSeconds(1))
                        .build())
                .hasMessageContaining("backoffMax (1000 ms) must not be below backoffInitial (2000 ms)");
    }

    @Test
    void mutate_changesOnlyWhatIsSet_andValidatesTheResult() {
        SyncSettings changed =
                defaults.mutate().batchSize(10).linger(Duration.ZERO).build();

        assertThat(defaults.mutate().build()).isEqualTo(defaults);
        assertThat(changed).isNotEqualTo(defaults);
        assertThat(changed.batchSize()).isEqualTo(10);
        assertThat(changed.linger()).isZero();
        assertThat(changed)
                .usingRecursiveComparison()
                .ignoringFields("batchSize", "linger")
                .isEqualTo(defaults);
        assertThat(changed.workerId()).isEqualTo(defaults.workerId());
        assertThatThrownBy(() ->
                        defaults.mutate().renewInterval(Duration.ofSeconds(6)).build())
                .hasMessageContaining("renewInterval (6000 ms) must be at most half of leaseTime (10000 ms)");
    }

    @Test
    void environmentWithNothingSet_equalsTheDefaults() {
        SyncSettings fromEnv = SyncSettings.fromEnvironment(Map.of("SYNC_BATCH_SIZE", " "), KeyLayout.defaults());

        assertThat(fromEnv.mutate().workerId("w").build())
                .isEqualTo(defaults.mutate().workerId("w").build());
        assertThat(fromEnv.workerId()).isNotBlank();
    }

    @Test
    void environment_readsEveryVariable() {
        Map<String, String> env = new HashMap<>();
        env.put("SYNC_WORKER_ID", "worker-7");
        env.put("SYNC_BATCH_SIZE", "250");
        env.put("SYNC_LINGER_MS", "0");
        env.put("SYNC_LEASE_MS", "20000");
        env.put("SYNC_RENEW_INTERVAL_MS", "5000");
        env.put("SYNC_PARENT_MISSING_TIMEOUT_MS", "60000");
        env.put("SYNC_BACKOFF_INITIAL_MS", "200");
        env.put("SYNC_BACKOFF_MAX_MS", "30000");
        env.put("SYNC_DRAIN_TIMEOUT_MS", "15000");
        env.put("SYNC_TRIM_INTERVAL_MS", "1000");
        env.put("SYNC_SYNCED_HASH_TTL_MS", "0");
        env.put("SYNC_DEAD_LETTER_RETENTION_MS", "604800000");
        env.put("SYNC_STALL_TIMEOUT_MS", "8000");
        env.put("CISTERN_ENTRY_FORMAT", "1");
        KeyLayout layout = new KeyLayout("shop");

        SyncSettings s = SyncSettings.fromEnvironment(env, layout);

        assertThat(s)
                .isEqualTo(new SyncSettings(
                        layout,
                        "worker-7",
                        250,
                        Duration.ZERO,
                        Duration.ofSeconds(20),
                        Duration.ofSeconds(5),
                        Duration.ofMinutes(1),
                        Duration.ofMillis(200),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(15),
                        BufferLimits.DEFAULTS,
                        Duration.ofSeconds(1),
                        Duration.ZERO,
                        Duration.ofDays(7),
                        Duration.ofSeconds(8),
                        1));
    }

    @Test
    void entryFormat_defaultsToTheNewest_andAnOtherValueIsRefusedNamingTheVariable() {
        assertThat(SyncSettings.defaults(new KeyLayout("shop")).entryFormat()).isEqualTo(2);
        assertThat(fromEnv("CISTERN_ENTRY_FORMAT", "1").entryFormat()).isEqualTo(1);
        assertThatThrownBy(() -> fromEnv("CISTERN_ENTRY_FORMAT", "3"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CISTERN_ENTRY_FORMAT");
    }

    @Test
    void stallTimeoutBelowOneSecond_isRefusedNamingTheVariable_andZeroTurnsItOff() {
        assertThatThrownBy(() -> fromEnv("SYNC_STALL_TIMEOUT_MS", "500"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SYNC_STALL_TIMEOUT_MS must be 0 (wait for the driver's socket timeout) or at least 1000"
                        + " ms, was 500 ms: below that a busy machine's pause passes for a dead database path");
        assertThat(fromEnv("SYNC_STALL_TIMEOUT_MS", "0").stallTimeout()).isZero();
        assertThat(SyncSettings.defaults(new KeyLayout("shop")).stallTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void badEnvironmentValue_namesTheVariableTheValueAndTheForm() {
        assertThatThrownBy(() -> fromEnv("SYNC_BATCH_SIZE", "ten"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'");
        assertThatThrownBy(() -> fromEnv("SYNC_LEASE_MS", "0"))
                .hasMessage("SYNC_LEASE_MS must be a whole number of milliseconds (at least 1), got '0'");
        assertThatThrownBy(() -> fromEnv("SYNC_LINGER_MS", "20ms"))
                .hasMessage("SYNC_LINGER_MS must be a whole number of milliseconds (at least 0), got '20ms'");
        assertThatThrownBy(() -> fromEnv("SYNC_WORKER_ID", "w".repeat(129)))
                .hasMessage("SYNC_WORKER_ID must be 1 to 128 characters, got 129 characters");
        for (String variable : List.of(
                "SYNC_RENEW_INTERVAL_MS",
                "SYNC_PARENT_MISSING_TIMEOUT_MS",
                "SYNC_BACKOFF_INITIAL_MS",
                "SYNC_BACKOFF_MAX_MS",
                "SYNC_DRAIN_TIMEOUT_MS",
                "SYNC_TRIM_INTERVAL_MS",
                "SYNC_SYNCED_HASH_TTL_MS",
                "SYNC_DEAD_LETTER_RETENTION_MS")) {
            assertThatThrownBy(() -> fromEnv(variable, "-1")).hasMessageStartingWith(variable + " must be");
        }
    }

    @Test
    void deadLetterRetention_defaultsToThirtyDays_andZeroKeepsResolvedDeadLettersForever() {
        assertThat(defaults.deadLetterRetention()).isEqualTo(Duration.ofDays(30));
        assertThat(fromEnv("SYNC_DEAD_LETTER_RETENTION_MS", "0").deadLetterRetention())
                .isZero();
        assertThat(fromEnv("SYNC_DEAD_LETTER_RETENTION_MS", "3600000").deadLetterRetention())
                .isEqualTo(Duration.ofHours(1));
        assertThat(String.join(
                        "\n",
                        defaults.mutate()
                                .deadLetterRetention(Duration.ZERO)
                                .build()
                                .describe()))
                .contains("resolved ones kept forever (SYNC_DEAD_LETTER_RETENTION_MS)");
        assertThat(String.join("\n", defaults.describe()))
                .contains("resolved ones kept 2592000000 ms (SYNC_DEAD_LETTER_RETENTION_MS)");
    }

    @Test
    void badDeadLetterRetention_fromTheEnvironment_namesTheVariableTheValueAndTheFix() {
        assertThatThrownBy(() -> fromEnv("SYNC_DEAD_LETTER_RETENTION_MS", "30d"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SYNC_DEAD_LETTER_RETENTION_MS must be a whole number of milliseconds from 0 to"
                        + " 3153600000000, got '30d' (30 days is 2592000000; 0 keeps resolved dead letters forever)");
        assertThatThrownBy(() -> fromEnv("SYNC_DEAD_LETTER_RETENTION_MS", "60000"))
                .hasMessage("SYNC_DEAD_LETTER_RETENTION_MS must be 0 or at least 3600000 (1 h), got '60000' (30 days"
                        + " is 2592000000; 0 keeps resolved dead letters forever): a resolved dead letter deleted"
                        + " sooner could be recorded again as open by a retried batch or a re-import");
        assertThatThrownBy(() -> fromEnv("SYNC_DEAD_LETTER_RETENTION_MS", "3153600000001"))
                .hasMessageStartingWith("SYNC_DEAD_LETTER_RETENTION_MS must be a whole number of milliseconds from 0"
                        + " to 3153600000000, got '3153600000001'");
    }

    @Test
    void deadLetterRetentionBelowAnHour_isRefusedByTheRecordToo() {
        assertThatThrownBy(() -> defaults.mutate()
                        .deadLetterRetention(Duration.ofMinutes(59))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("deadLetterRetention must be zero (keep resolved dead letters forever) or from"
                        + " 3600000 ms (1 h) to 3153600000000 ms (36500 days), was 3540000 ms: ");
        assertThatThrownBy(() -> defaults.mutate()
                        .deadLetterRetention(Duration.ofMillis(-1))
                        .build())
                .hasMessageStartingWith("deadLetterRetention must be zero");
        assertThatThrownBy(() -> defaults.mutate().deadLetterRetention(null).build())
                .isInstanceOf(NullPointerException.class)
                .hasMessage("deadLetterRetention must not be null");
    }

    @Test
    void renewalSlowerThanHalfTheLease_fromTheEnvironment_namesBothVariables() {
        assertThatThrownBy(() -> SyncSettings.fromEnvironment(
                        Map.of("SYNC_LEASE_MS", "4000", "SYNC_RENEW_INTERVAL_MS", "3000"), KeyLayout.defaults()))
                .hasMessage("SYNC_RENEW_INTERVAL_MS (3000 ms) must be at most half of SYNC_LEASE_MS (4000 ms),"
                        + " so one late renewal does not lose the lease");
        assertThatThrownBy(() -> fromEnv("SYNC_BACKOFF_MAX_MS", "50"))
                .hasMessage("SYNC_BACKOFF_MAX_MS (50 ms) must not be below SYNC_BACKOFF_INITIAL_MS (100 ms)");
    }

    @Test
    void describe_namesTheVariableOfEachValue() {
        String text = String.join(
                "\n",
                defaults.mutate()
                        .workerId("w1")
                        .syncedHashTtl(Duration.ZERO)
                        .build()
                        .describe());

        assertThat(text)
                .contains(
                        "sync worker w1 (SYNC_WORKER_ID): batch 1000 (SYNC_BATCH_SIZE), linger 20 ms (SYNC_LINGER_MS)")
                .contains("10000 ms (SYNC_LEASE_MS), renewed every 3000 ms (SYNC_RENEW_INTERVAL_MS)")
                .contains("synced hashes kept forever (SYNC_SYNCED_HASH_TTL_MS)");
    }

    private static SyncSettings fromEnv(String variable, String value) {
        return SyncSettings.fromEnvironment(Map.of(variable, value), KeyLayout.defaults());
    }
}
