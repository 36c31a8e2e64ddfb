package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Trimming never removes entries that another consumer group on the stream has not acknowledged (invariant 5). */
class StreamRetentionIT {
    private static SyncFixture fx;
    private static RecordWriter writer;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(StreamRetentionIT.class.getSimpleName());
        writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                .mutate()
                .prefix(fx.layout.prefix())
                .build());
    }

    @AfterAll
    static void stop() {
        writer.close();
        fx.close();
    }

    @Test
    void givenAnIdleSecondConsumerGroup_trimmingKeepsWhatItHasNotAcknowledged_andAfterItAcknowledgesTheStreamShrinks() {
        int partition = 1;
        String stream = fx.layout.stream(partition);
        RedisClusterCommands<String, String> redis = fx.commands();
        redis.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), "audit", XGroupCreateArgs.Builder.mkstream());
        int written = 0;
        for (int i = 0; i < 80; i++) {
            WriteReceipt r = writer.put(
                    "source_documents", RecordKey.of(UUID.randomUUID()), Map.of("filename", "r-" + i + ".pdf"));
            written += r.partition() == partition ? 1 : 0;
        }
        assertThat(written).isPositive();
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .trimInterval(Duration.ofMillis(100))
                .build();

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            worker.start();
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(fx.scalar("SELECT count(*) FROM source_documents"))
                            .isEqualTo("80"));
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(
                                    redis.xpending(stream, PartitionLoop.GROUP).getCount())
                            .isZero());

            // Applied and acknowledged by "sync", but "audit" never read: many trim rounds remove nothing.
            int expected = written;
            await().during(Duration.ofMillis(800))
                    .atMost(Duration.ofSeconds(3))
                    .until(() -> redis.xlen(stream) == expected);

            List<StreamMessage<String, String>> read = redis.xreadgroup(
                    Consumer.from("audit", "auditor"),
                    XReadArgs.Builder.count(10_000),
                    XReadArgs.StreamOffset.lastConsumed(stream));
            assertThat(read).hasSize(written);
            redis.xack(stream, "audit", read.stream().map(StreamMessage::getId).toArray(String[]::new));

            // The entry both groups delivered last stays as the trim point; everything before it goes.
            await().atMost(Duration.ofSeconds(3)).until(() -> redis.xlen(stream) <= 1);
        }
    }
}
