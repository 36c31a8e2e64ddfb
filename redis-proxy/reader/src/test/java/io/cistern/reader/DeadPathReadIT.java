package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.testing.TcpRelay;
import io.cistern.schema.failure.RetryableException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The read proxy's path to PostgreSQL goes silent (open connections pass no bytes, no reset; new ones refused), then
 * comes back for new connections only. Reads that need PostgreSQL fail within the read timeout while it is silent, and
 * read again within seconds of its return (as soon as the pool has a new connection): a read stuck on a dead connection
 * gives up its bulkhead slot and its connection at its network timeout, not at the driver's socket timeout a minute
 * later.
 */
class DeadPathReadIT {
    private static final String DOCS = "source_documents";
    private static final Duration WARM_FOR = Duration.ofSeconds(2);
    private static final Duration SILENT_FOR = Duration.ofSeconds(6);
    /**
     * Five seconds: during an outage HikariCP's connection adder retries with a backoff that grows to 5 s (fixed in
     * HikariCP), so the pool's first new connection may come that long after the path returns; plus one second for
     * that connection's setup and a busy machine's scheduling.
     */
    private static final Duration RECOVERY = Duration.ofSeconds(6);

    @Test
    void silentPath_readsFailWithinTheTimeout_andReadAgainWithinSecondsOfItsReturn() throws Exception {
        try (ReaderFixture cistern = ReaderFixture.shared("DeadPathReadIT");
                TcpRelay relay = TcpRelay.to(DatabaseSettings.ofJdbcUrl(cistern.dataSource.getJdbcUrl())
                        .hosts()
                        .getFirst()
                        .port());
                HikariDataSource throughRelay = DataSources.create(
                        DatabaseSettings.ofJdbcUrl(cistern.dataSource.getJdbcUrl())
                                .mutate()
                                .hosts(List.of(new DatabaseSettings.Host("127.0.0.1", relay.port())))
                                .user("postgres")
                                .build(),
                        "deadpath-reader")) {
            // given records only in PostgreSQL, and a reader with the default read timeout (2 s) and bulkhead
            List<String> keys = new ArrayList<>();
            StringBuilder insert = new StringBuilder(
                    "INSERT INTO source_documents (document_uuid, filename, status, cistern_version) VALUES ");
            for (int i = 0; i < 2_000; i++) {
                String key = UUID.randomUUID().toString();
                insert.append(i == 0 ? "" : ", ").append("('").append(key).append("', 'd.pdf', 'done', 1)");
                keys.add(key);
            }
            cistern.sql(insert.toString());
            AtomicInteger next = new AtomicInteger();
            ReaderSettings settings = cistern.settings();
            CachedReader reader =
                    cistern.reader(settings, throughRelay, new SimpleMeterRegistry(), LettuceCachedReader.Hooks.NONE);
            Duration timeout = settings.databaseTimeout();

            // and readers of records only PostgreSQL has (each a new key), busy enough that every pooled connection
            // is in use when the path dies (a connection idle for less than half a second is handed out untested)
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            AtomicInteger readBefore = new AtomicInteger();
            AtomicInteger failedFast = new AtomicInteger();
            long silentAt = System.nanoTime() + WARM_FOR.toNanos();
            long silentUntil = silentAt + SILENT_FOR.toNanos();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                readers.add(Thread.ofVirtual().start(() -> {
                    while (System.nanoTime() < silentUntil) {
                        long start = System.nanoTime();
                        try {
                            reader.get(DOCS, keys.get(next.getAndIncrement()));
                            if (start >= silentAt) {
                                wrong.add("a read succeeded while the path was silent");
                            } else {
                                readBefore.incrementAndGet();
                            }
                        } catch (RetryableException e) {
                            Duration took = Duration.ofNanos(System.nanoTime() - start);
                            if (!e.code().equals("DATABASE_UNAVAILABLE")) {
                                wrong.add("code " + e.code() + ": " + e.getMessage());
                            } else if (took.compareTo(timeout.plusMillis(700)) > 0) {
                                wrong.add("failed after " + took.toMillis() + " ms");
                            } else {
                                failedFast.incrementAndGet();
                            }
                        }
                        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                    }
                }));
            }

            // when the path goes silent under that load
            LockSupport.parkNanos(silentAt - System.nanoTime());
            relay.mode(TcpRelay.Mode.SILENT);
            for (Thread t : readers) {
                t.join(WARM_FOR.plus(SILENT_FOR).plus(timeout).plusSeconds(5));
            }

            // then every read failed, retryable, within the timeout (plus scheduling slack)
            assertThat(wrong).isEmpty();
            assertThat(readBefore.get()).as("reads before the path died").isGreaterThan(20);
            assertThat(failedFast.get()).isGreaterThanOrEqualTo(8);

            // when the path comes back for new connections only (the open ones stay silent)
            relay.mode(TcpRelay.Mode.NEW_ONLY);
            long returnedAt = System.nanoTime();

            // then a record only PostgreSQL has is read again as soon as the pool has a new connection
            await().atMost(RECOVERY.plusSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() ->
                            reader.get(DOCS, keys.get(next.getAndIncrement())).tier() == Tier.DATABASE);
            long recoveredMillis = (System.nanoTime() - returnedAt) / 1_000_000;
            System.out.printf(
                    "DeadPathReadIT: %d reads failed fast while silent; reads from PostgreSQL again %d ms after the"
                            + " path returned%n",
                    failedFast.get(), recoveredMillis);
            assertThat(recoveredMillis).isLessThanOrEqualTo(RECOVERY.toMillis());
            assertThat(relay.openConnections() - relay.forwardingConnections())
                    .as("connections open when the path went silent stay dead")
                    .isPositive();
        }
    }
}
