package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.keys.KeyLayout;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code ops/cistern doctor} against a healthy setup and against a Redis that endangers unsynced data. */
class DoctorCommandIT {
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        database = TestDatabase.create("DoctorCommandIT");
    }

    @AfterEach
    void tearDown() {
        database.close();
    }

    @Test
    void healthySetup_passesEveryCheck() {
        try (PrivateRedis redis = PrivateRedis.start("--appendonly", "yes", "--maxmemory-policy", "noeviction")) {
            assertThat(cli(redis, new StringWriter(), "init")).isZero();
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor");

            assertThat(code).as(out.toString()).isZero();
            assertThat(out.toString())
                    .doesNotContain("[FAIL]")
                    .doesNotContain("[WARN]")
                    .contains("[ OK ] redis.persistence: AOF on")
                    .contains("[ OK ] redis.maxmemory-policy: noeviction")
                    .contains("[ OK ] redis.function-library")
                    .contains("[ OK ] postgres.privileges")
                    .contains("[ OK ] postgres.connections")
                    .contains("0 failed");
        }
    }

    @Test
    void redisWithAnEvictingPolicyAndNoAof_namesBothProblems_andExitsNonZero() {
        try (PrivateRedis redis = PrivateRedis.start("--appendonly", "no", "--maxmemory-policy", "allkeys-lru")) {
            assertThat(cli(redis, new StringWriter(), "init")).isZero();
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor");

            assertThat(code).isEqualTo(1);
            assertThat(out.toString())
                    .contains("[FAIL] redis.persistence: AOF is off")
                    .contains("fix: set appendonly yes")
                    .contains("[FAIL] redis.maxmemory-policy: allkeys-lru may evict")
                    .contains("fix: set maxmemory-policy noeviction")
                    .contains("2 failed");
        }
    }

    @Test
    void devProfile_turnsTheDurabilityFindingsIntoWarnings_andExitsZero() {
        try (PrivateRedis redis = PrivateRedis.start("--appendonly", "no", "--maxmemory-policy", "allkeys-lru")) {
            assertThat(cli(redis, new StringWriter(), "init")).isZero();
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor", "--profile", "dev");

            assertThat(code).as(out.toString()).isZero();
            assertThat(out.toString())
                    .contains("[WARN] redis.persistence: AOF is off")
                    .contains("[WARN] redis.maxmemory-policy: allkeys-lru may evict")
                    .contains("fix: set appendonly yes")
                    .contains("0 failed");
        }
    }

    @Test
    void devProfile_stillFailsWhatIsNotAboutDurability() {
        try (PrivateRedis redis = PrivateRedis.start("--appendonly", "no")) {
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor", "--profile", "dev"); // never initialised

            assertThat(code).isEqualTo(1);
            assertThat(out.toString()).contains("[FAIL] redis.function-library").contains("run ops/cistern init");
        }
    }

    @Test
    void memoryGuardTurnedOff_withoutMaxmemory_doctorAndStartupWarnThatNothingBoundsTheBuffer() {
        try (PrivateRedis redis = PrivateRedis.start("--appendonly", "yes", "--maxmemory-policy", "noeviction")) {
            assertThat(cli(redis, new StringWriter(), "init", "--max-redis-memory", "off"))
                    .isZero();
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor");

            assertThat(code).as("a warning, not a failure").isZero();
            assertThat(out.toString())
                    .contains("[WARN] redis.memory-guard: neither Redis maxmemory nor Cistern's memory guard bounds"
                            + " the buffer (off (ops/cistern init --max-redis-memory off))")
                    .contains("fix: ops/cistern init --max-redis-memory auto");
            assertThat(Startup.warnIfBufferUnbounded(RedisSettings.of(redis.url()), KeyLayout.defaults()))
                    .hasValueSatisfying(w -> assertThat(w).startsWith("neither Redis maxmemory"));
        }
    }

    @Test
    void defaultGuardUnderMaxmemory_isOk_andSaysWhereWritesAreRefused() {
        try (PrivateRedis redis =
                PrivateRedis.start("--appendonly", "yes", "--maxmemory-policy", "noeviction", "--maxmemory", "64mb")) {
            StringWriter init = new StringWriter();
            assertThat(cli(redis, init, "init")).isZero();
            StringWriter out = new StringWriter();

            int code = cli(redis, out, "doctor");

            assertThat(code).as(out.toString()).isZero();
            assertThat(init.toString())
                    .contains("max Redis memory auto")
                    .contains("memory guard: writes refused from 57.6 MiB of Redis memory (90% of Redis maxmemory"
                            + " 64.0 MiB)");
            assertThat(out.toString())
                    .contains("[ OK ] redis.memory-guard: writes refused with back-pressure from 57.6 MiB of Redis"
                            + " memory (90% of Redis maxmemory 64.0 MiB)");
            assertThat(Startup.warnIfBufferUnbounded(RedisSettings.of(redis.url()), KeyLayout.defaults()))
                    .isEmpty();
        }
    }

    @Test
    void operatorsLimitAboveMaxmemory_warnsThatRedisRefusesWithOomFirst() {
        try (PrivateRedis redis =
                PrivateRedis.start("--appendonly", "yes", "--maxmemory-policy", "noeviction", "--maxmemory", "64mb")) {
            assertThat(cli(redis, new StringWriter(), "init", "--max-redis-memory", "1g"))
                    .isZero();
            StringWriter out = new StringWriter();

            assertThat(cli(redis, out, "doctor")).isZero();

            assertThat(out.toString())
                    .contains("[WARN] redis.memory-guard: Cistern's memory guard 1.0 GiB is at or above Redis"
                            + " maxmemory 64.0 MiB: when the buffer fills, Redis refuses writes with OOM");
        }
    }

    @Test
    void unknownProfile_isRefusedWithTheTwoNames() {
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(new StringWriter(), true))
                .setErr(new PrintWriter(err, true))
                .execute("doctor", "--profile", "staging");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--profile must be production or dev, not 'staging'");
    }

    @Test
    void unreachableRedis_failsAtTcp_withTheFix_andJsonSaysSo() {
        StringWriter out = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .execute(
                        "doctor", "--json", "--redis-url", "redis://127.0.0.1:1", "--database-url", database.jdbcUrl());

        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .contains("\"passed\":false")
                .contains("\"name\":\"redis.tcp\",\"status\":\"fail\"")
                .contains("security groups");
    }

    private int cli(PrivateRedis redis, StringWriter out, String... command) {
        String[] args = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(command),
                        java.util.stream.Stream.of("--redis-url", redis.url(), "--database-url", database.jdbcUrl()))
                .toArray(String[]::new);
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(new StringWriter(), true))
                .execute(args);
    }
}
