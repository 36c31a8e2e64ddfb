package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** {@link InFlightWindow}: batch order, at most the window unanswered, runs refilled as answers come. */
class InFlightWindowTest {

    /** Records what was sent and hands out futures the test answers. */
    private static final class RecordingSender implements InFlightWindow.Sender {
        final List<int[]> runs = new ArrayList<>();
        final List<CompletableFuture<WriteReceipt>> sent = new ArrayList<>();

        @Override
        public List<CompletableFuture<WriteReceipt>> send(int from, int to) {
            runs.add(new int[] {from, to});
            List<CompletableFuture<WriteReceipt>> run = new ArrayList<>();
            for (int i = from; i < to; i++) {
                CompletableFuture<WriteReceipt> f = new CompletableFuture<>();
                sent.add(f);
                run.add(f);
            }
            return run;
        }

        int unanswered() {
            return (int) sent.stream().filter(f -> !f.isDone()).count();
        }
    }

    private static WriteReceipt receipt(int i) {
        return new WriteReceipt("t", "k" + i, Operation.PUT, 0, i + 1, i + "-0");
    }

    @Test
    void batchWithinTheWindow_isSentInOneRun() {
        RecordingSender sender = new RecordingSender();

        List<CompletableFuture<WriteReceipt>> results = InFlightWindow.send(10, 10, true, sender);

        assertThat(sender.runs).containsExactly(new int[] {0, 10});
        assertThat(results).hasSize(10).noneMatch(CompletableFuture::isDone);
    }

    @Test
    void largerBatch_sendsInBatchOrder_neverMoreThanTheWindowUnanswered_andAnswersInBatchOrder() {
        RecordingSender sender = new RecordingSender();

        List<CompletableFuture<WriteReceipt>> results = InFlightWindow.send(100, 20, true, sender);

        // the first window in one run
        assertThat(sender.runs).containsExactly(new int[] {0, 20});
        // fewer answers than a quarter of the window: nothing more is sent
        for (int i = 0; i < 4; i++) {
            sender.sent.get(i).complete(receipt(i));
        }
        assertThat(sender.runs).hasSize(1);
        // the fifth answer frees a quarter: the next five in one run
        sender.sent.get(4).complete(receipt(4));
        assertThat(sender.runs).hasSize(2);
        assertThat(sender.runs.get(1)).containsExactly(20, 25);
        // answered in any order, every write ends up sent once, in batch order, never over the window
        while (sender.sent.size() < 100 || sender.unanswered() > 0) {
            assertThat(sender.unanswered()).isLessThanOrEqualTo(20);
            for (int i = sender.sent.size() - 1; i >= 0; i--) {
                if (!sender.sent.get(i).isDone()) {
                    sender.sent.get(i).complete(receipt(i));
                    break;
                }
            }
        }
        int next = 0;
        for (int[] run : sender.runs) {
            assertThat(run[0]).isEqualTo(next);
            next = run[1];
        }
        assertThat(next).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            assertThat(results.get(i).join().key()).isEqualTo("k" + i);
        }
    }

    @Test
    void withoutOverlap_aRunIsSentOnlyWhenEveryEarlierWriteIsAnswered() {
        RecordingSender sender = new RecordingSender();

        InFlightWindow.send(30, 10, false, sender);

        for (int i = 0; i < 9; i++) {
            sender.sent.get(i).complete(receipt(i));
        }
        assertThat(sender.runs).hasSize(1);
        sender.sent.get(9).complete(receipt(9));
        assertThat(sender.runs).hasSize(2);
        assertThat(sender.runs.get(1)).containsExactly(10, 20);
    }

    @Test
    void failedWrites_countAsAnswered_andASenderThatThrowsFailsItsRunOnly() {
        List<int[]> runs = new ArrayList<>();
        InFlightWindow.Sender sender = (from, to) -> {
            runs.add(new int[] {from, to});
            if (from == 4) {
                throw new IllegalStateException("connection closed");
            }
            List<CompletableFuture<WriteReceipt>> run = new ArrayList<>();
            for (int i = from; i < to; i++) {
                run.add(
                        i % 2 == 0
                                ? CompletableFuture.completedFuture(receipt(i))
                                : CompletableFuture.failedFuture(new IllegalArgumentException("refused " + i)));
            }
            return run;
        };

        List<CompletableFuture<WriteReceipt>> results = InFlightWindow.send(12, 4, true, sender);

        assertThat(runs).extracting(r -> r[0]).containsExactly(0, 4, 8);
        assertThat(results).allMatch(CompletableFuture::isDone);
        assertThat(results.get(0).join().key()).isEqualTo("k0");
        assertThat(results.get(1)).isCompletedExceptionally();
        for (int i = 4; i < 8; i++) {
            CompletableFuture<WriteReceipt> f = results.get(i);
            assertThat(f).isCompletedExceptionally();
            try {
                f.join();
            } catch (CompletionException e) {
                assertThat(e.getCause()).hasMessage("connection closed");
            }
        }
        assertThat(results.get(10).join().key()).isEqualTo("k10");
    }
}
