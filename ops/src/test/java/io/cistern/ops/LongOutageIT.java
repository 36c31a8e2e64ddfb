package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.ops.status.BufferCapacity;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusSnapshot;
import io.cistern.ops.status.WriteRate;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A long database outage against a Redis with a small {@code maxmemory} (32 MiB, {@code noeviction}) and the default
 * memory guard ({@code auto}: 90% of maxmemory): writes flow while PostgreSQL is stopped until the Function refuses them
 * with {@code CISTERN_BACKPRESSURE}, before Redis refuses anything with {@code OOM}; the outage capacity {@code lag}
 * would show is checked against what was actually written; PostgreSQL comes back and the drain delivers every accepted
 * write; writes are accepted again.
 */
class LongOutageIT {
    private static final KeyLayout LAYOUT = new KeyLayout("it-outage");
    private static final int PARTITIONS = 4;
    private static final long MAXMEMORY = 32L << 20;
    /**
     * Writes before the forecast, twice: the first so that the code runs compiled and the streams have entries to
     * sample, the second to measure the write rate, as {@code ops/cistern lag} and the gauges do between two readings.
     */
    private static final int WARM_UP = 3_000;
    /**
     * How far the forecast of entries left may be from the entries actually accepted. Its parts: MEMORY USAGE samples
     * 5 nodes of a stream and extrapolates; the main dictionary grows by doubling (a rehash holds both tables a while);
     * the guard overshoots by at most 16 writes per partition.
     */
    private static final double TOLERANCE = 0.20;

    /** Writes per second while the buffer fills, paced so that the rate the forecast measures is the rate it meets. */
    private static final int PACE = 2_000;
    /** How far the forecast time may be from the time taken: the pace holds unless the shared machine stalls. */
    private static final double TIME_TOLERANCE = 0.35;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** Releases one write every 1/rate seconds from its creation; a writer that fell behind catches up at once. */
    private static final class Pacer {
        private final long start = System.nanoTime();
        private final long periodNanos;
        private long released;

        Pacer(int perSecond) {
            this.periodNanos = 1_000_000_000L / perSecond;
        }

        void await() {
            long due = start + released++ * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    @Test
    void databaseAwayForLong_backpressureBeforeOom_capacityForecastHolds_andTheDrainDeliversEverything()
            throws Exception {
        PrivateRedis redis = closing(PrivateRedis.start(
                "--maxmemory", Long.toString(MAXMEMORY), "--maxmemory-policy", "noeviction", "--appendonly", "no"));
        PrivatePostgres postgres = closing(PrivatePostgres.start());
        HikariDataSource dataSource = closing(dataSource(postgres));
        RedisClient client = RedisClients.create(RedisSettings.of(redis.url()));
        toClose.add(client::shutdown);
        RedisCommands<String, String> raw = closing(client.connect()).sync();

        // given Cistern initialised with the default guard, a worker draining, a writer
        Initializer.Report init;
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            init = new Initializer(dataSource, c.sync())
                    .run(InitOptions.defaults(LAYOUT).withPartitions(PARTITIONS));
        }
        assertThat(init.limits().memoryLimitDerived()).as("auto is the default").isTrue();
        assertThat(init.memoryGuard().bytes()).isEqualTo(MAXMEMORY - MAXMEMORY / 10);
        SyncWorker worker = closing(new SyncWorker(
                SyncSettings.defaults(LAYOUT)
                        .mutate()
                        .linger(Duration.ofMillis(10))
                        .leaseTime(Duration.ofMillis(1500))
                        .renewInterval(Duration.ofMillis(250))
                        .backoffInitial(Duration.ofMillis(20))
                        .backoffMax(Duration.ofMillis(500))
                        .trimInterval(Duration.ofMillis(200))
                        .build(),
                init.registry(),
                dataSource,
                client));
        worker.start();
        RecordWriter writer = closing(RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(LAYOUT.prefix()).build()));
        List<WriteReceipt> accepted = new ArrayList<>();
        accepted.add(put(writer));
        writer.awaitSynced(accepted.get(0), Duration.ofSeconds(30));

        // when PostgreSQL goes away and writes go on
        postgres.stop();
        for (int i = 0; i < WARM_UP; i++) {
            accepted.add(put(writer));
        }
        PipelineStatus status = closing(PipelineStatus.connect(RedisSettings.of(redis.url()), LAYOUT));
        Pacer pacer = new Pacer(PACE);
        StatusSnapshot before = status.read();
        for (int i = 0; i < WARM_UP; i++) {
            pacer.await();
            accepted.add(put(writer));
        }
        StatusSnapshot forecastAt = status.read();
        long t0 = System.nanoTime();
        OptionalDouble rate = WriteRate.between(before, forecastAt);
        BufferCapacity forecast = BufferCapacity.of(status.readBuffer(forecastAt), rate);
        long acceptedAtForecast = accepted.size();
        System.out.printf(
                "LongOutageIT: forecast %s; bytes per entry %.1f; used %s%n",
                forecast.describe(),
                forecast.bytesPerEntry().orElse(Double.NaN),
                MemoryGuard.bytes(forecast.usedMemory()));

        RetryableException refusal = null;
        while (refusal == null) {
            try {
                pacer.await();
                accepted.add(put(writer));
            } catch (RetryableException e) {
                refusal = e;
            }
        }
        double fillSeconds = (System.nanoTime() - t0) / 1e9;

        // then Cistern refused with back-pressure, before Redis refused anything
        assertThat(refusal.code()).isEqualTo("BACKPRESSURE");
        assertThat(refusal.getMessage())
                .contains("at or above the limit of " + (MAXMEMORY - MAXMEMORY / 10))
                .doesNotContain("OOM");
        assertThat(raw.info("errorstats"))
                .as("Redis never refused a command with OOM")
                .doesNotContain("OOM");
        long written = accepted.size() - acceptedAtForecast;
        System.out.printf(
                "LongOutageIT: forecast %d entries left, %d written until back-pressure (%.1f%%); %.1f s to fill,"
                        + " forecast %.1f s at %.0f writes/s%n",
                forecast.entriesLeft().orElse(-1),
                written,
                100.0 * (written - forecast.entriesLeft().orElse(0)) / written,
                fillSeconds,
                forecast.timeLeft().map(d -> d.toMillis() / 1000.0).orElse(Double.NaN),
                rate.orElse(Double.NaN));
        assertThat(forecast.boundBy()).isEqualTo("memory");
        assertThat((double) forecast.entriesLeft().orElseThrow())
                .as("entries left before back-pressure, forecast vs written")
                .isCloseTo(written, within(written * TOLERANCE));
        // The time is the entries over the rate measured between the two readings; the writes go on at the same
        // paced rate, unless this machine, shared with other builds, falls behind for a while.
        assertThat(forecast.timeLeft().orElseThrow().toMillis() / 1000.0)
                .as("time to back-pressure, forecast vs taken")
                .isCloseTo(fillSeconds, within(fillSeconds * TIME_TOLERANCE));

        // and the other partitions follow within their next memory check (every 16 versions): a few more writes are
        // accepted, then every write is refused while the database is away, never with OOM
        int more = 0;
        int refusedInARow = 0;
        for (int i = 0; i < 400 && refusedInARow < 50; i++) {
            try {
                accepted.add(put(writer));
                more++;
                refusedInARow = 0;
            } catch (RetryableException e) {
                assertThat(e.code()).isEqualTo("BACKPRESSURE");
                assertThat(e.getMessage()).doesNotContain("OOM");
                refusedInARow++;
            }
        }
        assertThat(more).isLessThanOrEqualTo((MemoryGuard.CHECK_EVERY - 1) * PARTITIONS);
        assertThat(refusedInARow).isEqualTo(50);
        assertThat(raw.info("errorstats")).doesNotContain("OOM");

        // when PostgreSQL returns, the drain delivers every accepted write
        postgres.startAgain();
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> rows(dataSource) == accepted.size());
        assertThat(rows(dataSource)).isEqualTo(accepted.size());
        for (WriteReceipt r : accepted.subList(accepted.size() - 5, accepted.size())) {
            writer.awaitSynced(r, Duration.ofSeconds(30));
        }

        // and once the streams are trimmed, writes are accepted again
        WriteReceipt after = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(RetryableException.class)
                .until(() -> put(writer), r -> r != null);
        writer.awaitSynced(after, Duration.ofSeconds(30));
        assertThat(raw.info("errorstats")).doesNotContain("OOM");
    }

    /** A write of a new document, 200 bytes of file name: each one a new record hash and a stream entry. */
    private static WriteReceipt put(RecordWriter writer) {
        UUID doc = UUID.randomUUID();
        return writer.put(
                "source_documents",
                RecordKey.of(doc),
                Map.of("filename", doc + "-" + "x".repeat(163) + ".pdf", "status", "registered"));
    }

    private static long rows(HikariDataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM source_documents")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static HikariDataSource dataSource(PrivatePostgres postgres) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl());
        config.setUsername("postgres");
        config.setPoolName("test-long-outage");
        config.setMaximumPoolSize(4);
        config.setConnectionTimeout(2_000);
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }
}
