package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.RetryableException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Concurrent misses never stampede PostgreSQL. */
class StampedeIT {
    private static ReaderFixture cistern;

    @BeforeAll
    static void start() {
        cistern = ReaderFixture.shared("StampedeIT");
    }

    @AfterAll
    static void stop() {
        cistern.close();
    }

    @Test
    void twoHundredConcurrentMissesOfOneKey_causeExactlyOneDatabaseQuery() throws Exception {
        // given a row only in PostgreSQL, and a reader whose every database connection is counted
        String id = UUID.randomUUID().toString();
        cistern.insertDocument(id, "hot.pdf", "done", 0);
        CountingDataSource counted = new CountingDataSource(cistern.dataSource, null);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        // (a generous timeout: the machine is shared, and this test counts queries, not time)
        CachedReader reader = cistern.reader(
                cistern.settings()
                        .mutate()
                        .databaseTimeout(Duration.ofSeconds(20))
                        .build(),
                counted,
                meters,
                LettuceCachedReader.Hooks.NONE);
        // (warm up the query path on another key and instance, so the count below is about the stampede alone)
        cistern.reader(cistern.settings()
                        .mutate()
                        .databaseTimeout(Duration.ofSeconds(20))
                        .build())
                .get("source_documents", UUID.randomUUID().toString());

        // when 200 threads miss it at the same moment
        int n = 200;
        CyclicBarrier together = new CyclicBarrier(n);
        List<Future<ReadResult>> reads = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                reads.add(threads.submit(() -> {
                    together.await();
                    return reader.get("source_documents", id);
                }));
            }
            // then all 200 get the record
            for (Future<ReadResult> read : reads) {
                ReadResult r = read.get(30, TimeUnit.SECONDS);
                assertThat(((ReadResult.Found) r).value("filename")).isEqualTo("hot.pdf");
            }
        }
        // from exactly one database query
        assertThat(counted.connections.get()).isEqualTo(1);
        assertThat(meters.get("cistern.proxy.database.queries")
                        .tag("outcome", "ok")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("cistern.proxy.reads")
                        .tag("tier", "database")
                        .counter()
                        .count())
                .isPositive();
    }

    @Test
    void fillsBeyondTheBound_neverTakeMoreConnectionsAndFailRetryableWithinTheTimeout() throws Exception {
        // given a database that hangs, and a reader allowing 2 concurrent fills and 300 ms per read
        CountDownLatch hang = new CountDownLatch(1);
        CountingDataSource hanging = new CountingDataSource(cistern.dataSource, hang);
        CachedReader reader = cistern.reader(
                cistern.settings()
                        .mutate()
                        .maxConcurrentFills(2)
                        .databaseTimeout(Duration.ofMillis(300))
                        .build(),
                hanging,
                new SimpleMeterRegistry(),
                LettuceCachedReader.Hooks.NONE);
        try (ExecutorService threads = Executors.newFixedThreadPool(6)) {
            // when 6 different missing keys are read at once
            List<Future<Long>> reads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String id = UUID.randomUUID().toString();
                reads.add(threads.submit(() -> {
                    long start = System.nanoTime();
                    try {
                        reader.get("source_documents", id);
                        return -1L;
                    } catch (RetryableException e) {
                        assertThat(e.code()).isEqualTo("DATABASE_UNAVAILABLE");
                        return (System.nanoTime() - start) / 1_000_000;
                    }
                }));
            }
            // then each fails, retryable, within the timeout (plus scheduling slack)
            for (Future<Long> read : reads) {
                assertThat(read.get(10, TimeUnit.SECONDS)).isBetween(0L, 1_300L);
            }
            // and at most 2 of them ever asked the pool for a connection
            assertThat(hanging.connections.get()).isEqualTo(2);
            assertThat(hanging.maxInFlight.get()).isEqualTo(2);
        } finally {
            hang.countDown();
        }
    }

    /** Counts connections taken; optionally hangs each one until a latch opens (a stalled database). */
    static final class CountingDataSource implements DataSource {
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        private final DataSource delegate;
        private final CountDownLatch hangUntil;

        CountingDataSource(DataSource delegate, CountDownLatch hangUntil) {
            this.delegate = delegate;
            this.hangUntil = hangUntil;
        }

        @Override
        public Connection getConnection() throws SQLException {
            connections.incrementAndGet();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                if (hangUntil != null) {
                    hangUntil.await(30, TimeUnit.SECONDS);
                    throw new SQLException("the test's database hung", "08006");
                }
                return delegate.getConnection();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted", "08006", e);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {}

        @Override
        public void setLoginTimeout(int seconds) {}

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
