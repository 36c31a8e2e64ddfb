package io.cistern.schema.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemoryGuardTest {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    @Test
    void maxmemorySet_guardIsNinetyPercentOfIt_soBackpressureComesBeforeOom() {
        MemoryGuard.Limit limit = MemoryGuard.effective(
                BufferLimits.AUTO_MAX_REDIS_MEMORY, new MemoryGuard.RedisMemory(0, 32 * MIB, 64 * GIB));

        assertThat(limit.bytes()).isEqualTo(32 * MIB - (32 * MIB) / 10).isLessThan(32 * MIB);
        assertThat(limit.basis()).isEqualTo("90% of Redis maxmemory 32.0 MiB");
    }

    @Test
    void maxmemoryUnset_guardIsHalfTheHostsMemory_theRoomAForkNeeds() {
        MemoryGuard.Limit limit =
                MemoryGuard.effective(BufferLimits.AUTO_MAX_REDIS_MEMORY, new MemoryGuard.RedisMemory(0, 0, 16 * GIB));

        assertThat(limit.bytes()).isEqualTo(8 * GIB);
        assertThat(limit.basis()).contains("half of the host's memory 16.0 GiB").contains("no maxmemory");
    }

    @Test
    void redisTellsNeitherMaxmemoryNorHostMemory_noGuardAndSaysWhy() {
        MemoryGuard.Limit limit =
                MemoryGuard.effective(BufferLimits.AUTO_MAX_REDIS_MEMORY, new MemoryGuard.RedisMemory(0, 0, 0));

        assertThat(limit.bounded()).isFalse();
        assertThat(limit.basis()).contains("neither maxmemory nor total_system_memory");
    }

    @Test
    void operatorsLimit_winsOverWhatRedisSays() {
        MemoryGuard.Limit limit = MemoryGuard.effective(100 * MIB, new MemoryGuard.RedisMemory(0, 32 * MIB, 64 * GIB));

        assertThat(limit.bytes()).isEqualTo(100 * MIB);
        assertThat(limit.basis()).contains("--max-redis-memory");
    }

    @Test
    void operatorTurnedItOff_noGuard() {
        MemoryGuard.Limit limit = MemoryGuard.effective(0, new MemoryGuard.RedisMemory(0, 32 * MIB, 64 * GIB));

        assertThat(limit.bounded()).isFalse();
        assertThat(limit.basis()).startsWith("off");
    }

    @Test
    void oomBeforeBackpressure_whenTheLimitIsAtOrAboveMaxmemory_orOffUnderOne() {
        MemoryGuard.RedisMemory capped = new MemoryGuard.RedisMemory(0, 32 * MIB, 64 * GIB);
        MemoryGuard.RedisMemory uncapped = new MemoryGuard.RedisMemory(0, 0, 64 * GIB);

        assertThat(MemoryGuard.oomBeforeBackpressure(MemoryGuard.effective(-1, capped), capped))
                .isFalse();
        assertThat(MemoryGuard.oomBeforeBackpressure(MemoryGuard.effective(32 * MIB, capped), capped))
                .isTrue();
        assertThat(MemoryGuard.oomBeforeBackpressure(MemoryGuard.effective(0, capped), capped))
                .isTrue();
        assertThat(MemoryGuard.oomBeforeBackpressure(MemoryGuard.effective(0, uncapped), uncapped))
                .isFalse();
    }

    @Test
    void problem_namesWhatToSet_onlyWhenTheBufferIsUnboundedOrOomComesFirst() {
        MemoryGuard.RedisMemory capped = new MemoryGuard.RedisMemory(0, 32 * MIB, 64 * GIB);
        MemoryGuard.RedisMemory uncapped = new MemoryGuard.RedisMemory(0, 0, 64 * GIB);

        assertThat(MemoryGuard.problem(MemoryGuard.effective(-1, uncapped), uncapped))
                .isEmpty();
        assertThat(MemoryGuard.problem(MemoryGuard.effective(-1, capped), capped))
                .isEmpty();
        assertThat(MemoryGuard.problem(MemoryGuard.effective(0, uncapped), uncapped))
                .hasValueSatisfying(p -> assertThat(p)
                        .startsWith("neither Redis maxmemory nor Cistern's memory guard bounds the buffer")
                        .contains("--max-redis-memory auto"));
        assertThat(MemoryGuard.problem(MemoryGuard.effective(0, capped), capped))
                .hasValueSatisfying(p -> assertThat(p).contains("off").contains("OOM"));
        assertThat(MemoryGuard.problem(MemoryGuard.effective(64 * MIB, capped), capped))
                .hasValueSatisfying(p -> assertThat(p).contains("64.0 MiB is at or above Redis maxmemory 32.0 MiB"));
    }

    @Test
    void derivedLimit_integerArithmeticAsTheFunctionDoesIt() {
        assertThat(MemoryGuard.derivedLimit(1_000_001, 0)).isEqualTo(900_001);
        assertThat(MemoryGuard.derivedLimit(0, 1_000_001)).isEqualTo(500_000);
        assertThat(MemoryGuard.derivedLimit(0, 0)).isZero();
    }

    @Test
    void parse_readsTheFieldsOfInfoMemory_notTheirHumanOrPolicyTwins() {
        String info =
                "# Memory\r\nused_memory:989208\r\nused_memory_human:966.02K\r\ntotal_system_memory:25276182528\r\n"
                        + "total_system_memory_human:23.54G\r\nmaxmemory:33554432\r\nmaxmemory_human:32.00M\r\n"
                        + "maxmemory_policy:noeviction\r\n";

        assertThat(MemoryGuard.RedisMemory.parse(info))
                .isEqualTo(new MemoryGuard.RedisMemory(989_208, 33_554_432, 25_276_182_528L));
        assertThatThrownBy(() -> MemoryGuard.RedisMemory.parse("# Memory\r\n")).hasMessageContaining("used_memory");
    }

    @Test
    void bufferLimits_acceptAutoOffAndBytes_refuseBelowAuto() {
        assertThat(BufferLimits.DEFAULTS.memoryLimitDerived()).isTrue();
        assertThat(new BufferLimits(1, 0, 1).memoryLimitText()).isEqualTo("off");
        assertThat(new BufferLimits(1, 5, 1).memoryLimitText()).isEqualTo("5");
        assertThatThrownBy(() -> new BufferLimits(1, -2, 1)).hasMessageContaining("-1 (derived from Redis)");
    }

    @Test
    void bytes_forPeople() {
        assertThat(MemoryGuard.bytes(512)).isEqualTo("512 B");
        assertThat(MemoryGuard.bytes(3 * MIB / 2)).isEqualTo("1.5 MiB");
    }
}
