package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReaderSettingsTest {

    @Test
    void emptyEnvironment_givesTheDefaults() {
        assertThat(ReaderSettings.fromEnvironment(Map.of())).isEqualTo(ReaderSettings.defaults());
    }

    @Test
    void environment_setsEveryValue() {
        ReaderSettings s = ReaderSettings.fromEnvironment(Map.of(
                "CISTERN_PREFIX", "shop",
                "PROXY_LOCAL_CACHE_ENTRIES", "500",
                "PROXY_LOCAL_CACHE_TTL_MS", "90000",
                "PROXY_NEGATIVE_CACHE_TTL_MS", "0",
                "PROXY_REDIS_FILL_TTL_MS", "0",
                "PROXY_MAX_CONCURRENT_FILLS", "3",
                "PROXY_DATABASE_TIMEOUT_MS", "750",
                "PROXY_MAX_BATCH_KEYS", "50"));

        assertThat(s.layout().prefix()).isEqualTo("shop");
        assertThat(s.localCacheEntries()).isEqualTo(500);
        assertThat(s.localCacheTtl()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.negativeCacheTtl()).isZero();
        assertThat(s.redisFillTtl()).isZero();
        assertThat(s.maxConcurrentFills()).isEqualTo(3);
        assertThat(s.databaseTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(s.maxBatchKeys()).isEqualTo(50);
    }

    @Test
    void notANumber_namesTheVariable() {
        assertThatThrownBy(() -> ReaderSettings.fromEnvironment(Map.of("PROXY_DATABASE_TIMEOUT_MS", "2s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PROXY_DATABASE_TIMEOUT_MS")
                .hasMessageContaining("'2s'");
    }

    @Test
    void outOfRangeValues_areRefusedNamingSettingAndFix() {
        ReaderSettings d = ReaderSettings.defaults();
        assertThatThrownBy(() -> d.withLocalCache(-1, Duration.ofMinutes(1)))
                .hasMessageContaining("PROXY_LOCAL_CACHE_ENTRIES")
                .hasMessageContaining("use 0 to turn the local cache off");
        assertThatThrownBy(() -> d.withLocalCache(10, Duration.ZERO)).hasMessageContaining("PROXY_LOCAL_CACHE_TTL_MS");
        assertThatThrownBy(() -> d.withNegativeCacheTtl(Duration.ofMinutes(11)))
                .hasMessageContaining("must not exceed localCacheTtl");
        assertThatThrownBy(() -> d.withRedisFillTtl(Duration.ofMillis(10))).hasMessageContaining("at least 1000 ms");
        assertThatThrownBy(() -> d.withMaxConcurrentFills(0)).hasMessageContaining("PROXY_MAX_CONCURRENT_FILLS");
        assertThatThrownBy(() -> d.withDatabaseTimeout(Duration.ofMillis(1)))
                .hasMessageContaining("PROXY_DATABASE_TIMEOUT_MS");
        assertThatThrownBy(() -> d.withMaxBatchKeys(0)).hasMessageContaining("PROXY_MAX_BATCH_KEYS");
        assertThatThrownBy(() -> d.withDatabaseTimeout(null)).hasMessageContaining("must not be null");
    }

    @Test
    void localCacheOff_acceptsAnyTtl() {
        assertThat(ReaderSettings.defaults()
                        .withNegativeCacheTtl(Duration.ZERO)
                        .withLocalCache(0, Duration.ZERO)
                        .localCacheEntries())
                .isZero();
    }

    @Test
    void countBeyondAnInt_namesTheVariable() {
        assertThatThrownBy(() -> ReaderSettings.fromEnvironment(Map.of("PROXY_MAX_BATCH_KEYS", "4294967296")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("PROXY_MAX_BATCH_KEYS is far out of range, was 4294967296");
    }
}
