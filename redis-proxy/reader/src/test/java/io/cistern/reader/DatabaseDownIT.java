package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.schema.failure.RetryableException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With PostgreSQL down, what Redis or the local cache hold is still served; the rest fails fast and retryable. */
class DatabaseDownIT {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static PrivatePostgres postgres;
    private static ReaderFixture cistern;

    @BeforeAll
    static void start() {
        postgres = PrivatePostgres.start();
        cistern = ReaderFixture.with("DatabaseDownIT", null, postgres.jdbcUrl());
    }

    @AfterAll
    static void stop() {
        try {
            cistern.close();
        } finally {
            postgres.close();
        }
    }

    @Test
    void databaseStopped_redisAndLocalReadsServed_databaseReadsFailRetryableWithinTheTimeout() {
        // given a record only in Redis, one read once (cached locally, filled into Redis), one only in PostgreSQL
        CachedReader reader = cistern.reader(
                cistern.settings().mutate().databaseTimeout(TIMEOUT).build());
        String inRedis = UUID.randomUUID().toString();
        String cached = UUID.randomUUID().toString();
        String onlyInDatabase = UUID.randomUUID().toString();
        WriteReceipt put = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(inRedis)), Map.of("filename", "r.pdf"));
        cistern.insertDocument(cached, "c.pdf", "done", 0);
        cistern.insertDocument(onlyInDatabase, "d.pdf", "done", 0);
        assertThat(reader.get("source_documents", cached).tier()).isEqualTo(Tier.DATABASE);
        // ... and one whose hash the worker released to a TTL (synced) before its database defaults were read
        String released = UUID.randomUUID().toString();
        WriteReceipt releasedPut = cistern.writer.put(
                "source_documents", RecordKey.of(UUID.fromString(released)), Map.of("filename", "s.pdf"));
        cistern.redis().pexpire(cistern.recordKey("source_documents", released), 300_000);

        // when PostgreSQL stops
        postgres.stop();

        // then the record in Redis and the cached one are still served, also to another instance
        assertThat(reader.get("source_documents", inRedis).version()).isEqualTo(put.version());
        assertThat(reader.get("source_documents", cached).tier()).isEqualTo(Tier.LOCAL);
        CachedReader other = cistern.reader(
                cistern.settings().mutate().databaseTimeout(TIMEOUT).build());
        assertThat(other.get("source_documents", cached).tier()).isEqualTo(Tier.REDIS);
        // and the released hash answers from Redis with its database defaults still pending, instead of failing
        ReadResult.Found withoutDefaults = (ReadResult.Found) reader.get("source_documents", released);
        assertThat(withoutDefaults.tier()).isEqualTo(Tier.REDIS);
        assertThat(withoutDefaults.version()).isEqualTo(releasedPut.version());
        assertThat(withoutDefaults.pending()).containsExactly("status", "created_at", "updated_at");
        // and each read that needs PostgreSQL fails, retryable, within the timeout (plus scheduling slack)
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> reader.get("source_documents", onlyInDatabase))
                    .isInstanceOfSatisfying(RetryableException.class, e -> {
                        assertThat(e.code()).isEqualTo("DATABASE_UNAVAILABLE");
                        assertThat(e.retryAfter()).isPositive();
                    })
                    .hasMessageContaining("retry");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusMillis(500));
        }

        // when PostgreSQL is back, the record is read again
        postgres.startAgain();
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                ((ReadResult.Found) reader.get("source_documents", onlyInDatabase)).value("filename"))
                        .isEqualTo("d.pdf"));
    }
}
