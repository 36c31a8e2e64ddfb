package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.MemoryGuard;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class BufferCapacityTest {
    private static final long MIB = 1 << 20;
    private static final MemoryGuard.RedisMemory CAPPED_AT_32_MIB = new MemoryGuard.RedisMemory(4 * MIB, 32 * MIB, 0);

    private static BufferCapacity.Reading reading(
            MemoryGuard.RedisMemory memory, long limit, long maxBacklog, long longest, double perEntry) {
        return new BufferCapacity.Reading(memory, limit, maxBacklog, 4, longest, OptionalDouble.of(perEntry));
    }

    @Test
    void memoryBinds_entriesAreTheBytesLeftOverTheBytesPerEntry_andTimeIsEntriesOverRate() {
        // 90% of 32 MiB = 30,198,989 - 4 MiB used = 26,004,685 bytes left, at 500 B an entry
        BufferCapacity c = BufferCapacity.of(
                reading(CAPPED_AT_32_MIB, BufferLimits.AUTO_MAX_REDIS_MEMORY, 1_000_000, 10, 500),
                OptionalDouble.of(100));

        assertThat(c.bytesLeft()).hasValue(32 * MIB - (32 * MIB) / 10 - 4 * MIB);
        assertThat(c.entriesLeft()).hasValue((32 * MIB - (32 * MIB) / 10 - 4 * MIB) / 500);
        assertThat(c.boundBy()).isEqualTo("memory");
        assertThat(c.timeLeft()).hasValue(Duration.ofMillis(c.entriesLeft().getAsLong() * 10));
        assertThat(c.describe())
                .startsWith("buffer: 52,009 entries (24.8 MiB) left before back-pressure (memory: 90% of Redis"
                        + " maxmemory 32.0 MiB), about 8 min 40 s at 100.0 writes/s");
    }

    @Test
    void backlogBindsFirst_theFullestPartitionRefusesAfterPartitionsTimesItsRoom() {
        BufferCapacity c = BufferCapacity.of(
                reading(CAPPED_AT_32_MIB, BufferLimits.AUTO_MAX_REDIS_MEMORY, 1_000, 900, 500), OptionalDouble.of(50));

        assertThat(c.entriesLeft()).hasValue(4 * 100);
        assertThat(c.boundBy()).isEqualTo("backlog");
        assertThat(c.timeLeft()).hasValue(Duration.ofSeconds(8));
    }

    @Test
    void pastTheLimit_nothingLeft_noNegativeRoom() {
        MemoryGuard.RedisMemory full = new MemoryGuard.RedisMemory(31 * MIB, 32 * MIB, 0);

        BufferCapacity c = BufferCapacity.of(reading(full, -1, 0, 10, 500), OptionalDouble.of(10));

        assertThat(c.bytesLeft()).hasValue(0);
        assertThat(c.entriesLeft()).hasValue(0);
        assertThat(c.timeLeft()).hasValue(Duration.ZERO);
    }

    @Test
    void guardOffAndNoBacklogLimit_unbounded_andSaysSo() {
        MemoryGuard.RedisMemory host = new MemoryGuard.RedisMemory(4 * MIB, 0, 16L << 30);

        BufferCapacity c = BufferCapacity.of(reading(host, 0, 0, 10, 500), OptionalDouble.of(10));

        assertThat(c.bounded()).isFalse();
        assertThat(c.entriesLeft()).isEmpty();
        assertThat(c.bytesLeft()).isEmpty();
        assertThat(c.boundBy()).isEqualTo("none");
        assertThat(c.describe()).startsWith("buffer: NOT BOUNDED");
    }

    @Test
    void noRateYet_orNoWrites_noTime_butTheRoomIsKnown() {
        BufferCapacity unknown = BufferCapacity.of(reading(CAPPED_AT_32_MIB, -1, 0, 1, 500), OptionalDouble.empty());
        BufferCapacity idle = BufferCapacity.of(reading(CAPPED_AT_32_MIB, -1, 0, 1, 500), OptionalDouble.of(0));

        assertThat(unknown.entriesLeft()).isPresent();
        assertThat(unknown.timeLeft()).isEmpty();
        assertThat(unknown.describe()).endsWith("time unknown (no write rate yet)");
        assertThat(idle.timeLeft()).isEmpty();
        assertThat(idle.describe()).endsWith("not filling: no writes lately");
    }

    @Test
    void nothingSampledYet_bytesLeftKnown_entriesOnlyFromTheBacklog() {
        BufferCapacity c = BufferCapacity.of(
                new BufferCapacity.Reading(CAPPED_AT_32_MIB, -1, 1_000, 4, 0, OptionalDouble.empty()),
                OptionalDouble.of(1));

        assertThat(c.bytesLeft()).isPresent();
        assertThat(c.entriesLeft()).hasValue(4_000);
        assertThat(c.boundBy()).isEqualTo("backlog");
    }

    @Test
    void json_hasEveryFieldWithNullForTheUnknown() {
        BufferCapacity c = BufferCapacity.of(reading(CAPPED_AT_32_MIB, -1, 0, 1, 512.34), OptionalDouble.empty());

        JsonNode json = ExactJson.mapper().readTree(ExactJson.mapper().writeValueAsString(c.toJson()));

        assertThat(json.get("memoryLimitBytes").asLong()).isEqualTo(32 * MIB - (32 * MIB) / 10);
        assertThat(json.get("memoryLimitBasis").asString()).isEqualTo("90% of Redis maxmemory 32.0 MiB");
        assertThat(json.get("bytesPerEntry").asDouble()).isEqualTo(512.3);
        assertThat(json.get("boundBy").asString()).isEqualTo("memory");
        assertThat(json.get("writeRatePerSecond").isNull()).isTrue();
        assertThat(json.get("timeLeftSeconds").isNull()).isTrue();
    }
}
