package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.failure.RetryableException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.WriteReceipt;
import io.lettuce.core.KillArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A proxy whose Redis connection drops may have missed invalidations: it must not answer from its local cache what it
 * held before. A private Redis, so that {@code CLIENT KILL} touches no one else.
 */
class ReconnectIT {
    private static PrivateRedis server;
    private static ReaderFixture cistern;

    @BeforeAll
    static void start() {
        server = PrivateRedis.start();
        cistern = ReaderFixture.with("ReconnectIT", server.url(), null);
    }

    @AfterAll
    static void stop() {
        try {
            cistern.close();
        } finally {
            server.close();
        }
    }

    private static long killReaderConnections() {
        long killed = 0;
        for (String line : cistern.redis().clientList().split("\n")) {
            if (line.contains(" name=cistern-reader ")) {
                long id = Long.parseLong(line.substring(3, line.indexOf(' ')));
                killed += cistern.redis().clientKill(KillArgs.Builder.id(id));
            }
        }
        return killed;
    }

    @Test
    void connectionKilled_thenWriteMissedByTheProxy_noStaleLocalReadIsServed() {
        // given a proxy that holds version 1 of a record in its local cache
        CachedReader reader = cistern.reader();
        String id = UUID.randomUUID().toString();
        RecordKey key = RecordKey.of(UUID.fromString(id));
        cistern.writer.put("source_documents", key, Map.of("filename", "v1.pdf"));
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
        long clearsBefore = reader.status().localCacheClears();

        // when its Redis connection is killed and the record changes while it may be away
        assertThat(killReaderConnections()).isPositive();
        WriteReceipt v2 = cistern.writer.put("source_documents", key, Map.of("filename", "v2.pdf"));

        // then every read it answers from then on is the new version (reads may fail while it reconnects)
        List<Long> answered = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    try {
                        answered.add(reader.get("source_documents", id).version());
                        return answered.size() >= 20;
                    } catch (RetryableException e) {
                        return false;
                    }
                });
        assertThat(answered).allMatch(v -> v == v2.version());
        assertThat(reader.status().localCacheClears()).isGreaterThan(clearsBefore);

        // and after the reconnect, invalidations flow again: the local cache is back and kept current
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.status().trackingActive());
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
        WriteReceipt v3 = cistern.writer.put("source_documents", key, Map.of("filename", "v3.pdf"));
        await().atMost(Duration.ofSeconds(1))
                .until(() -> reader.get("source_documents", id).version() == v3.version());
    }

    @Test
    void silentConnection_turnsTheLocalCacheOffUntilRedisAnswersAgain() {
        // given a proxy holding a record locally
        CachedReader reader = cistern.reader();
        String id = UUID.randomUUID().toString();
        cistern.writer.put("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "x.pdf"));
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
        long clearsBefore = reader.status().localCacheClears();

        // when Redis stops answering without closing the connection (as a half-open TCP connection would look)
        cistern.redis().clientPause(4_000);

        // then within the silence limit the local cache is cleared and off: no copy outlives the proof it is current
        await().atMost(Invalidations.SILENCE_LIMIT.plusSeconds(1))
                .until(() -> !reader.status().trackingActive());
        assertThat(reader.status().localCacheClears()).isGreaterThan(clearsBefore);
        assertThat(reader.status().localEntries()).isZero();
        // and once Redis answers again it is back on, and serves from Redis then locally
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.status().trackingActive());
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.REDIS);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
    }

    @Test
    void flushOfTheServer_clearsTheLocalCache() {
        // given a proxy holding a record locally
        CachedReader reader = cistern.reader();
        String id = UUID.randomUUID().toString();
        cistern.writer.put("source_documents", RecordKey.of(UUID.fromString(id)), Map.of("filename", "x.pdf"));
        reader.get("source_documents", id);
        long clearsBefore = reader.status().localCacheClears();

        // when a key it tracks is flushed away with everything else
        cistern.redis().flushdb();
        try {
            // then it clears its local cache (and reads as Redis and PostgreSQL now say: absent)
            await().atMost(Duration.ofSeconds(1)).until(() -> reader.status().localCacheClears() > clearsBefore);
        } finally {
            // the flush took the registry and the library's partition floors: initialise again for the other tests
            cistern.reinitialise();
        }
        assertThat(reader.get("source_documents", id).found()).isFalse();
    }
}
