package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The worker's meters, recorded by a real worker draining writes of a real writer. */
class SyncMetricsIT {
    private static final String DOCS = "source_documents";
    private static SyncFixture fx;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(SyncMetricsIT.class.getSimpleName());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void drainingWrites_recordsWriteToCommitLatency_batches_leases_andDeadLetters() {
        SimpleMeterRegistry writerMeters = new SimpleMeterRegistry();
        SimpleMeterRegistry workerMeters = new SimpleMeterRegistry();
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .build();
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(fx.redis.url())
                        .mutate()
                        .prefix(fx.redis.prefix())
                        .build(),
                writerMeters)) {
            // given 20 puts and a patch of a record that was never written (dead-lettered as "record absent")
            for (int i = 0; i < 20; i++) {
                writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "m-" + i + ".pdf"));
            }
            writer.patch(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("status", "done"));

            // when a worker drains them
            try (SyncWorker worker =
                    new SyncWorker(settings, fx.registry, fx.dataSource, fx.redis.client(), workerMeters)) {
                worker.start();
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(sum(workerMeters, SyncMetrics.DEAD_LETTERS))
                                .isEqualTo(1));
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(workerMeters
                                        .get(SyncMetrics.WRITE_TO_COMMIT)
                                        .tag("table", DOCS)
                                        .timer()
                                        .count())
                                .isEqualTo(20));
            }
        }

        // then
        assertThat(writerMeters
                        .get("cistern.writer.writes")
                        .tags("table", DOCS, "op", "put")
                        .counter()
                        .count())
                .isEqualTo(20);
        Timer latency =
                workerMeters.get(SyncMetrics.WRITE_TO_COMMIT).tag("table", DOCS).timer();
        assertThat(latency.max(java.util.concurrent.TimeUnit.SECONDS)).isLessThan(30);
        assertThat(workerMeters.get(SyncMetrics.BATCH_SIZE).summaries())
                .isNotEmpty()
                .allSatisfy(s -> assertThat(s.max()).isLessThanOrEqualTo(settings.batchSize()));
        assertThat(sum(workerMeters, SyncMetrics.ENTRIES)).isEqualTo(21);
        assertThat(workerMeters
                        .get(SyncMetrics.LEASE_CHANGES)
                        .tag("outcome", "acquired")
                        .counters())
                .hasSize(SyncFixture.PARTITIONS);
        assertThat(workerMeters
                        .get(SyncMetrics.LEASE_CHANGES)
                        .tag("outcome", "released")
                        .counters())
                .hasSize(SyncFixture.PARTITIONS);
    }

    private static double sum(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }
}
