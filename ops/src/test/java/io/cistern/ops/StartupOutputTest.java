package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code up} and the services print about their servers before anything else: pure parts, no server. */
class StartupOutputTest {
    @Test
    void durabilityNote_forARedisThatKeepsNothing_namesTheFixAndTheDevDoctor_inOneLine() {
        String note = LocalServers.durabilityNote("redis://127.0.0.1:6379", "no", "", "noeviction")
                .orElseThrow();

        assertThat(note)
                .doesNotContain("\n")
                .startsWith("note: Redis at redis://127.0.0.1:6379 keeps nothing on disk")
                .contains("redis-cli CONFIG SET appendonly yes")
                .contains("ops/cistern doctor --profile dev");
    }

    @Test
    void durabilityNote_namesBothProblems_whenTheRedisAlsoEvictsAnything() {
        String note = LocalServers.durabilityNote("redis://127.0.0.1:6379", "no", "", "allkeys-lru")
                .orElseThrow();

        assertThat(note)
                .contains("maxmemory-policy allkeys-lru")
                .contains("CONFIG SET appendonly yes, CONFIG SET maxmemory-policy noeviction");
    }

    @Test
    void durabilityNote_isSilent_forAofOrSnapshots_andPoliciesThatSpareUnsyncedData() {
        assertThat(LocalServers.durabilityNote("u", "yes", "", "noeviction")).isEmpty();
        assertThat(LocalServers.durabilityNote("u", "no", "3600 1", "noeviction"))
                .isEmpty();
        assertThat(LocalServers.durabilityNote("u", "yes", "", "volatile-lru")).isEmpty();
    }

    @Test
    void configuration_isOneCompactBlock_withThePortAndNoSecret() {
        RedisSettings redis = RedisSettings.fromEnvironment(Map.of("REDIS_URL", "redis://app:s3cr3t@cache.internal"));
        DatabaseSettings database = DatabaseSettings.fromEnvironment(
                Map.of("DATABASE_URL", "postgresql://svc:hunter2@db.internal:5433/orders"));

        String block = Startup.configuration("cistern", redis, database);

        assertThat(block).doesNotContain("s3cr3t").doesNotContain("hunter2");
        assertThat(block.lines())
                .hasSizeLessThanOrEqualTo(8)
                .first()
                .asString()
                .startsWith("configuration (secrets redacted");
        assertThat(block)
                .contains("Redis redis://app:****@cache.internal:6379 (standalone, database 0)")
                .contains("PostgreSQL db.internal:5433")
                .contains("key prefix 'cistern'");
    }
}
