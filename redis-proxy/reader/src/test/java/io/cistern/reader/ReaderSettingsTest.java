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
        assertThatThrownBy(() -> d.mutate()
                        .localCacheEntries(-1)
                        .localCacheTtl(Duration.ofMinutes(1))
                        .build())
                .hasMessageContaining("PROXY_LOCAL_CACHE_ENTRIES")
                .hasMessageContaining("use 0 to turn the local cache off");
        assertThatThrownBy(() -> d.mutate()
                        .localCacheEntries(10)
                        .localCacheTtl(Duration.ZERO)
                        .build())
                .hasMessageContaining("PROXY_LOCAL_CACHE_TTL_MS");
        assertThatThrownBy(() ->
                        d.mutate().negativeCacheTtl(Duration.ofMinutes(11)).build())
                .hasMessageContaining("must not exceed localCacheTtl");
        assertThatThrownBy(() -> d.mutate().redisFillTtl(Duration.ofMillis(10)).build())
                .hasMessageContaining("at least 1000 ms");
        assertThatThrownBy(() -> d.mutate().maxConcurrentFills(0).build())
                .hasMessageContaining("PROXY_MAX_CONCURRENT_FILLS");
        assertThatThrownBy(
                        () -> d.mutate().databaseTimeout(Duration.ofMillis(1)).build())
                .hasMessageContaining("PROXY_DATABASE_TIMEOUT_MS");
        assertThatThrownBy(() -> d.mutate().maxBatchKeys(0).build()).hasMessageContaining("PROXY_MAX_BATCH_KEYS");
        assertThatThrownBy(() -> d.mutate().databaseTimeout(null).build()).hasMessageContaining("must not be null");
    }

    @Test
    void localCacheOff_acceptsAnyTtl() {
        assertThat(ReaderSettings.defaults()
                        .mutate()
                        .negativeCacheTtl(Duration.ZERO)
                        .localCacheEntries(0)
                        .localCacheTtl(Duration.ZERO)
                        .build()
                        .localCacheEntries())
                .isZero();
    }

    @Test
    void countBeyondAnInt_namesTheVariable() {
        assertThatThrownBy(() -> ReaderSettings.fromEnvironment(Map.of("PROXY_MAX_BATCH_KEYS", "4294967296")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("PROXY_MAX_BATCH_KEYS is far out of range, was 4294967296");
    }

    @Test
    void mutateWithoutChanges_buildsAnEqualCopy() {
        ReaderSettings s =
                ReaderSettings.fromEnvironment(Map.of("CISTERN_PREFIX", "shop", "PROXY_MAX_BATCH_KEYS", "50"));

        assertThat(s.mutate().build()).isEqualTo(s);
    }

    @Test
    void mutateOneValue_changesOnlyThatValue() {
        ReaderSettings d = ReaderSettings.defaults();
        Map<String, ReaderSettings> changed = Map.of(
                "layout", d.mutate().prefix("shop").build(),
                "localCacheEntries", d.mutate().localCacheEntries(7).build(),
                "localCacheTtl", d.mutate().localCacheTtl(Duration.ofMinutes(3)).build(),
                "negativeCacheTtl", d.mutate().negativeCacheTtl(Duration.ZERO).build(),
                "redisFillTtl", d.mutate().redisFillTtl(Duration.ZERO).build(),
                "maxConcurrentFills", d.mutate().maxConcurrentFills(2).build(),
                "databaseTimeout",
                        d.mutate().databaseTimeout(Duration.ofSeconds(9)).build(),
                "maxBatchKeys", d.mutate().maxBatchKeys(9).build());

        assertThat(changed.keySet()).hasSameSizeAs(ReaderSettings.class.getRecordComponents());
        changed.forEach((field, settings) -> {
            assertThat(settings).as(field).isNotEqualTo(d);
            assertThat(settings)
                    .as(field)
                    .usingRecursiveComparison()
                    .ignoringFields(field)
                    .isEqualTo(d);
        });
    }
}
