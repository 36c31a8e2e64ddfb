package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.RedisSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EvictionPolicyTest {
    @ParameterizedTest
    @CsvSource({
        "noeviction, SAFE",
        "volatile-lru, SYNCED_ONLY",
        "volatile-lfu, SYNCED_ONLY",
        "volatile-random, SYNCED_ONLY",
        "volatile-ttl, SYNCED_ONLY",
        "allkeys-lru, ENDANGERS_UNSYNCED_DATA",
        "allkeys-lfu, ENDANGERS_UNSYNCED_DATA",
        "allkeys-random, ENDANGERS_UNSYNCED_DATA"
    })
    void everyRedisPolicy_isClassifiedByWhatItMayEvict(String policy, EvictionPolicy expected) {
        assertThat(EvictionPolicy.of(policy)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"allkeys-lru", "allkeys-random"})
    void startup_refusesAnEvictingRedis_namingThePolicyAndTheFlag(String policy) {
        RedisSettings redis = RedisSettings.of("redis://127.0.0.1:6379");

        assertThatThrownBy(() -> Startup.requireSafeEviction(redis, policy, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(policy)
                .hasMessageContaining("noeviction")
                .hasMessageContaining(Startup.ALLOW_EVICTING_REDIS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"noeviction", "volatile-lru"})
    void startup_acceptsAPolicyThatKeepsUnsyncedData(String policy) {
        assertThatCode(() -> Startup.requireSafeEviction(RedisSettings.of("redis://127.0.0.1:6379"), policy, false))
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"allkeys-lru"})
    void theFlag_turnsTheRefusalIntoAWarning(String policy) {
        assertThatCode(() -> Startup.requireSafeEviction(RedisSettings.of("redis://127.0.0.1:6379"), policy, true))
                .doesNotThrowAnyException();
    }
}
