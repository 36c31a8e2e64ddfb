package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DatabaseBulkheadTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);

    private final List<String> outcomes = new CopyOnWriteArrayList<>();
    private final DatabaseBulkhead bulkhead =
            new DatabaseBulkhead(1, TIMEOUT, (outcome, waited) -> outcomes.add(outcome));
    private final CountDownLatch databaseStalled = new CountDownLatch(1);

    @AfterEach
    void end() {
        databaseStalled.countDown();
        bulkhead.close();
    }

    private String stalledQuery() throws InterruptedException {
        databaseStalled.await(30, TimeUnit.SECONDS);
        return "late row";
    }

    @Test
    void answeringQuery_returnsItsResultAndFreesTheSlot() {
        String row = bulkhead.call("reading record 1", () -> "row");

        assertThat(row).isEqualTo("row");
        assertThat(outcomes).containsExactly("ok");
        await().atMost(Duration.ofSeconds(5)).until(() -> bulkhead.freeSlots() == 1);
    }

    @Test
    void stalledQuery_failsTheReaderWithinTheTimeoutButKeepsItsSlot() {
        long start = System.nanoTime();

        assertThatThrownBy(() -> bulkhead.call("reading record 1", this::stalledQuery))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("DATABASE_UNAVAILABLE"))
                .hasMessageContaining("reading record 1 got no answer within 300 ms");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusMillis(250));
        assertThat(outcomes).containsExactly("timeout");
        assertThat(bulkhead.freeSlots()).isZero();
    }

    @Test
    void allSlotsHeldByStalledQueries_nextReaderIsRejectedAfterTheTimeoutWithoutRunning() {
        assertThatThrownBy(() -> bulkhead.call("reading record 1", this::stalledQuery));
        CountDownLatch ran = new CountDownLatch(1);
        long start = System.nanoTime();

        assertThatThrownBy(() -> bulkhead.call("reading record 2", () -> {
                    ran.countDown();
                    return "row";
                }))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("DATABASE_UNAVAILABLE"))
                .hasMessageContaining(
                        "reading record 2 found all 1 database slots (maxConcurrentFills) busy for 300 ms");

        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertThat(waited).isGreaterThanOrEqualTo(TIMEOUT).isLessThan(TIMEOUT.plusMillis(250));
        assertThat(ran.getCount()).isEqualTo(1);
        assertThat(outcomes).containsExactly("timeout", "rejected");
    }

    @Test
    void stalledQueryEnds_itsSlotServesTheNextReader() {
        assertThatThrownBy(() -> bulkhead.call("reading record 1", this::stalledQuery));

        databaseStalled.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> bulkhead.freeSlots() == 1);

        assertThat(bulkhead.call("reading record 2", () -> "row")).isEqualTo("row");
    }

    @Test
    void failingQuery_isClassifiedAsADatabaseFailure() {
        assertThatThrownBy(() -> bulkhead.call("reading record 1", () -> {
                    throw new SQLException("connection refused", "08001");
                }))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("DATABASE_UNAVAILABLE"))
                .hasMessageContaining("reading record 1 failed: PostgreSQL failed (SQLSTATE 08001)");
        assertThat(outcomes).containsExactly("failed");
        await().atMost(Duration.ofSeconds(5)).until(() -> bulkhead.freeSlots() == 1);
    }

    @Test
    void closedBulkhead_refusesAsReaderClosedAndGivesTheSlotBack() {
        bulkhead.close();

        assertThatThrownBy(() -> bulkhead.call("reading record 1", () -> "row"))
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("READER_CLOSED"));
        assertThat(bulkhead.freeSlots()).isEqualTo(1);
    }

    @Test
    void noSlots_isRefusedWithTheRule() {
        assertThatThrownBy(() -> new DatabaseBulkhead(0, TIMEOUT, (o, w) -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the database bulkhead needs at least one slot, got 0");
    }
}
