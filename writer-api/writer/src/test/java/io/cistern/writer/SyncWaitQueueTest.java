package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.keys.StreamEntryId;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SyncWaitQueueTest {
    private static final Duration FIRST = Duration.ofMillis(10);
    private static final Duration MAX = Duration.ofMillis(200);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final SyncWaitQueue queue = new SyncWaitQueue(FIRST, MAX);

    private static PendingSync waiter(String entryId, Duration timeout) {
        WriteReceipt receipt = new WriteReceipt("source_documents", "k", Operation.PUT, 0, 1, entryId);
        return new PendingSync(receipt, StreamEntryId.parse(entryId), T0, T0.plus(timeout), new CompletableFuture<>());
    }

    private static Optional<StreamEntryId> watermark(String id) {
        return Optional.of(StreamEntryId.parse(id));
    }

    @Test
    void watermarkAtOrPastEntry_coversIt_andOnlyIt() {
        PendingSync atIt = waiter("100-1", Duration.ofSeconds(5));
        PendingSync before = waiter("99-7", Duration.ofSeconds(5));
        PendingSync after = waiter("100-2", Duration.ofSeconds(5));
        queue.add(atIt);
        queue.add(before);
        queue.add(after);

        SyncWaitQueue.Round round = queue.observe(watermark("100-1"), T0.plusMillis(10));

        assertThat(round.covered()).containsExactlyInAnyOrder(atIt, before);
        assertThat(round.expired()).isEmpty();
        assertThat(queue.size()).isEqualTo(1);
    }

    @Test
    void idsCompareAsNumbers_soALongerMillisecondPartIsLater() {
        queue.add(waiter("1000-0", Duration.ofSeconds(5)));

        SyncWaitQueue.Round round = queue.observe(watermark("999-5"), T0);

        assertThat(round.covered()).isEmpty();
    }

    @Test
    void deadlinePassedWithoutCover_expires_butACoveredWaiterIsAnsweredEvenWhenLate() {
        PendingSync late = waiter("100-0", Duration.ofMillis(50));
        PendingSync lateButCovered = waiter("90-0", Duration.ofMillis(50));
        PendingSync stillWaiting = waiter("100-0", Duration.ofSeconds(5));
        queue.add(late);
        queue.add(lateButCovered);
        queue.add(stillWaiting);

        SyncWaitQueue.Round round = queue.observe(watermark("95-0"), T0.plusMillis(50));

        assertThat(round.expired()).containsExactly(late);
        assertThat(round.covered()).containsExactly(lateButCovered);
        assertThat(queue.size()).isEqualTo(1);
    }

    @Test
    void zeroTimeout_checksOnceThenExpires() {
        PendingSync once = waiter("100-0", Duration.ZERO);
        queue.add(once);

        assertThat(queue.nextPoll(T0)).contains(Duration.ofMillis(1));
        SyncWaitQueue.Round round = queue.observe(Optional.empty(), T0);

        assertThat(round.expired()).containsExactly(once);
        assertThat(round.nextPoll()).isEmpty();
    }

    @Test
    void unchangedWatermark_backsOffToTheCap_andAnAdvanceResetsIt() {
        queue.add(waiter("500-0", Duration.ofMinutes(1)));

        assertThat(queue.observe(watermark("1-0"), T0).nextPoll()).contains(FIRST);
        assertThat(queue.observe(watermark("1-0"), T0).nextPoll()).contains(Duration.ofMillis(20));
        assertThat(queue.observe(watermark("1-0"), T0).nextPoll()).contains(Duration.ofMillis(40));
        for (int i = 0; i < 10; i++) {
            queue.observe(watermark("1-0"), T0);
        }
        assertThat(queue.nextPoll(T0)).contains(MAX);

        assertThat(queue.observe(watermark("2-0"), T0).nextPoll()).contains(FIRST);
    }

    @Test
    void newWaiter_resetsTheIntervalToTheFirstPoll() {
        queue.add(waiter("500-0", Duration.ofMinutes(1)));
        for (int i = 0; i < 10; i++) {
            queue.observe(Optional.empty(), T0);
        }
        assertThat(queue.nextPoll(T0)).contains(MAX);

        queue.add(waiter("501-0", Duration.ofMinutes(1)));

        assertThat(queue.nextPoll(T0)).contains(FIRST);
    }

    @Test
    void nextPoll_neverOvershootsTheEarliestDeadline() {
        queue.add(waiter("500-0", Duration.ofMinutes(1)));
        queue.add(waiter("500-0", Duration.ofMillis(230)));
        for (int i = 0; i < 10; i++) {
            queue.observe(Optional.empty(), T0);
        }

        assertThat(queue.nextPoll(T0.plusMillis(100))).contains(Duration.ofMillis(130));
    }

    @Test
    void cancelledWaiter_isDroppedWithoutAnAnswer() {
        PendingSync cancelled = waiter("100-0", Duration.ofSeconds(5));
        queue.add(cancelled);
        cancelled.future().cancel(false);

        SyncWaitQueue.Round round = queue.observe(watermark("200-0"), T0);

        assertThat(round.covered()).isEmpty();
        assertThat(round.nextPoll()).isEmpty();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void watermarkThatCannotBeRead_keepsTheLastOneSeen() {
        queue.add(waiter("500-0", Duration.ofSeconds(5)));
        queue.observe(watermark("300-0"), T0);

        queue.observe(Optional.empty(), T0);

        assertThat(queue.lastWatermark()).contains(StreamEntryId.parse("300-0"));
    }

    @Test
    void pollIntervals_areValidated() {
        assertThatThrownBy(() -> new SyncWaitQueue(Duration.ZERO, MAX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firstPoll must be positive");
        assertThatThrownBy(() -> new SyncWaitQueue(Duration.ofMillis(50), Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPoll (10 ms) must not be below firstPoll (50 ms)");
    }
}
