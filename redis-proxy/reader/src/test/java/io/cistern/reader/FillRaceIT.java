package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fill from PostgreSQL racing a write never wins with older data: each test stops a read between its PostgreSQL read
 * and its fill, makes a write, then lets the fill go on.
 */
class FillRaceIT {
    private ReaderFixture cistern;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final CountDownLatch atFill = new CountDownLatch(1);
    private final CountDownLatch proceed = new CountDownLatch(1);
    private String id;
    private CachedReader reader;

    @BeforeEach
    void start() {
        cistern = ReaderFixture.shared("FillRaceIT");
        id = UUID.randomUUID().toString();
        String recordKey = cistern.recordKey("source_documents", id);
        LettuceCachedReader.Hooks pauseBeforeFill = new LettuceCachedReader.Hooks() {
            @Override
            public void afterDatabaseRead(String key) {
                if (key.equals(recordKey)) {
                    atFill.countDown();
                    try {
                        proceed.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        reader = cistern.reader(cistern.settings(), cistern.dataSource, meters, pauseBeforeFill);
        // given a row only in PostgreSQL, and a read of it stopped after PostgreSQL answered, before it fills Redis
        cistern.insertDocument(id, "old.pdf", "registered", 0);
    }

    @AfterEach
    void stop() {
        proceed.countDown();
        threads.shutdownNow();
        cistern.close();
    }

    private Future<ReadResult> readStoppedBeforeItsFill() throws InterruptedException {
        Future<ReadResult> read = threads.submit(() -> reader.get("source_documents", id));
        assertThat(atFill.await(10, TimeUnit.SECONDS)).isTrue();
        return read;
    }

    @Test
    void putDuringTheFill_isNeverOverwrittenByTheOlderRow() throws Exception {
        Future<ReadResult> racing = readStoppedBeforeItsFill();

        // when a put lands while the fill waits, and the fill then goes on
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "new.pdf"));
        proceed.countDown();
        ReadResult racingAnswer = racing.get(10, TimeUnit.SECONDS);

        // then the racing read answers what PostgreSQL held when it began, but Redis keeps the put,
        assertThat(racingAnswer.version()).isZero();
        assertThat(cistern.hash("source_documents", id))
                .containsEntry("v", Long.toString(put.version()))
                .containsEntry("c:filename", "\"new.pdf\"");
        assertThat(meters.get("cistern.proxy.fills")
                        .tag("outcome", "superseded")
                        .counter()
                        .count())
                .isEqualTo(1);
        // and every later read, on this instance and another, answers the put: the old row was not cached either
        assertThat(((ReadResult.Found) reader.get("source_documents", id)).value("filename"))
                .isEqualTo("new.pdf");
        assertThat(cistern.reader().get("source_documents", id).version()).isEqualTo(put.version());
    }

    @Test
    void writeSyncedAndExpiredDuringTheFill_isNeverOverwrittenByTheOlderRow() throws Exception {
        Future<ReadResult> racing = readStoppedBeforeItsFill();

        // when a put lands, is synced to PostgreSQL and its hash expires, all while the fill waits
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "new.pdf"));
        cistern.syncWorker(Duration.ofMillis(50));
        String recordKey = cistern.recordKey("source_documents", id);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> cistern.redis().exists(recordKey) == 0
                        && Long.toString(put.version())
                                .equals(cistern.scalar(
                                        "SELECT cistern_version FROM source_documents WHERE document_uuid = '" + id
                                                + "'")));
        proceed.countDown();
        racing.get(10, TimeUnit.SECONDS);

        // then the fill did not bring the old row back into Redis
        assertThat(cistern.hash("source_documents", id)).isEmpty();
        assertThat(meters.get("cistern.proxy.fills")
                        .tag("outcome", "superseded")
                        .counter()
                        .count())
                .isEqualTo(1);
        // and every later read answers the synced put, on this instance and another
        ReadResult after = reader.get("source_documents", id);
        assertThat(after.version()).isEqualTo(put.version());
        assertThat(((ReadResult.Found) after).value("filename")).isEqualTo("new.pdf");
        assertThat(cistern.reader().get("source_documents", id).version()).isEqualTo(put.version());
    }

    @Test
    void patchDuringTheFill_leavesAPartialHashThatIsCompletedFromTheRow() throws Exception {
        Future<ReadResult> racing = readStoppedBeforeItsFill();

        // when a patch lands on the reservation while the fill waits
        WriteReceipt patch =
                cistern.writer.patch("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("status", "done"));
        proceed.countDown();
        racing.get(10, TimeUnit.SECONDS);

        // then the fill is refused, and reads answer the row with the patch applied
        assertThat(cistern.hash("source_documents", id)).containsEntry("v", Long.toString(patch.version()));
        ReadResult.Found after = (ReadResult.Found) reader.get("source_documents", id);
        assertThat(after.version()).isEqualTo(patch.version());
        assertThat(after.value("status")).isEqualTo("done");
        assertThat(after.value("filename")).isEqualTo("old.pdf");
    }
}
