package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes through any writer reach every proxy instance's local cache. Local entries live {@link
 * ReaderFixture#LONG_TTL} (minutes), so only an invalidation can make these tests pass.
 */
class InvalidationIT {
    private static final Logger log = LoggerFactory.getLogger(InvalidationIT.class);
    private static ReaderFixture cistern;
    private static CachedReader first;
    private static CachedReader second;

    @BeforeAll
    static void start() {
        cistern = ReaderFixture.shared("InvalidationIT");
        assertThat(cistern.settings().localCacheTtl()).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
        first = cistern.reader();
        second = cistern.reader();
    }

    @AfterAll
    static void stop() {
        cistern.close();
    }

    private static WriteReceipt put(String id, String filename) {
        return cistern.writer.put("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", filename));
    }

    private static void cacheLocally(CachedReader reader, String id) {
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
    }

    @Test
    void writeThroughAnyWriter_dropsTheLocalCopyOfEveryInstanceWithinMilliseconds() {
        // given a record cached locally by two proxy instances
        List<Long> delaysMicros = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            String id = UUID.randomUUID().toString();
            put(id, "v1.pdf");
            cacheLocally(first, id);
            cacheLocally(second, id);

            // when a writer (not a reader) changes it
            long start = System.nanoTime();
            WriteReceipt v2 = put(id, "v2.pdf");

            // then both instances answer the new version, well within a second
            for (CachedReader reader : List.of(first, second)) {
                await().atMost(Duration.ofSeconds(1))
                        .pollInterval(Duration.ofMillis(1))
                        .until(() -> reader.get("source_documents", id).version() == v2.version());
            }
            delaysMicros.add((System.nanoTime() - start) / 1_000);
        }
        Collections.sort(delaysMicros);
        log.info(
                "invalidation delay over 50 writes, both instances seeing the write: p50 {} µs, p99 {} µs, max {} µs",
                delaysMicros.get(24),
                delaysMicros.get(48),
                delaysMicros.get(49));
        assertThat(first.status().invalidations()).isGreaterThanOrEqualTo(50);
        assertThat(delaysMicros.get(48)).isLessThan(500_000);
    }

    @Test
    void readYourWrites_throughADifferentInstance_withTheWriteVersion() {
        // given an instance that cached the record
        String id = UUID.randomUUID().toString();
        put(id, "v1.pdf");
        cacheLocally(second, id);

        // when a write is made elsewhere and its version passed to that instance at once
        WriteReceipt v2 = put(id, "v2.pdf");
        ReadResult read = second.get("source_documents", id, v2.version());

        // then it answers the write, not its local copy
        assertThat(read.version()).isEqualTo(v2.version());
        assertThat(((ReadResult.Found) read).value("filename")).isEqualTo("v2.pdf");
    }

    @Test
    void delete_dropsTheLocalCopy() {
        // given an instance that cached the record
        String id = UUID.randomUUID().toString();
        put(id, "v1.pdf");
        cacheLocally(first, id);

        // when it is deleted
        WriteReceipt deleted = cistern.writer.delete("source_documents", RecordKey.of(UUID.fromString(id)));

        // then the instance reads it as absent
        await().atMost(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(first.get("source_documents", id))
                        .isEqualTo(new ReadResult.Absent("source_documents", id, deleted.version(), Tier.LOCAL)));
    }

    @Test
    void filledFromPostgres_isInvalidatedByTheNextWrite() {
        // given a record read from PostgreSQL (and filled into Redis) by one instance, cached locally
        String id = UUID.randomUUID().toString();
        cistern.insertDocument(id, "old.pdf", "done", 0);
        assertThat(first.get("source_documents", id).tier()).isEqualTo(Tier.DATABASE);
        assertThat(first.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);

        // when a writer patches it
        WriteReceipt patch =
                cistern.writer.patch("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("status", "failed"));

        // then the instance answers the patched record, complete
        await().atMost(Duration.ofSeconds(1)).untilAsserted(() -> {
            ReadResult.Found read = (ReadResult.Found) first.get("source_documents", id);
            assertThat(read.version()).isEqualTo(patch.version());
            assertThat(read.value("status")).isEqualTo("failed");
            assertThat(read.value("filename")).isEqualTo("old.pdf");
        });
    }
}
