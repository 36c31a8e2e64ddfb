package io.cistern.writer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends the writes of one batch in batch order, at most {@code max} unanswered at a time: the first {@code max} in one
 * go, then, each time at least a quarter of the window (or the rest of the batch) has been answered, the next ones in
 * one go. Lettuce starts a command's timeout when the command is dispatched, so a write waits for its answer only
 * behind the writes sent before it in its window, never behind the whole batch.
 *
 * <p>Order: writes are sent strictly in batch order, each run of them as one collection on the connection, so two
 * writes of the same partition reach Redis in batch order (a connection keeps the order of what it is given). Lettuce's
 * cluster connection was seen to let a later run overtake an earlier one, so there runs do not overlap ({@code
 * overlap} false): each is sent once the one before is answered.
 *
 * <p>Thread-safety: the next writes are sent by whichever thread answered the write that freed the window (usually
 * Lettuce's event loop, whose dispatch does not block); one thread at a time sends, the others leave it a note to look
 * again ({@link #pump}).
 */
final class InFlightWindow {
    /** Sends writes {@code from} (inclusive) to {@code to} (exclusive) of the batch, one future per write, in order. */
    @FunctionalInterface
    interface Sender {
        List<CompletableFuture<WriteReceipt>> send(int from, int to);
    }

    private final int size;
    private final int max;
    private final int refill;
    /** Whether a run may be sent while earlier ones are unanswered; if not, each waits for all before it. */
    private final boolean overlap;

    private final Sender sender;
    private final List<CompletableFuture<WriteReceipt>> results;
    private final AtomicInteger answered = new AtomicInteger();
    /** Calls of {@link #pump} not yet looked at; only the caller that raised it from 0 sends. */
    private final AtomicInteger pumps = new AtomicInteger();
    /** The first write not yet sent; read and written only by the thread that holds {@link #pumps}. */
    private int next;

    private InFlightWindow(int size, int max, boolean overlap, Sender sender) {
        this.size = size;
        this.max = max;
        this.overlap = overlap;
        this.refill = Math.max(1, max / 4);
        this.sender = sender;
        this.results = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            results.add(new CompletableFuture<>());
        }
    }

    /**
     * Starts sending the {@code size} writes of a batch through {@code sender}, at most {@code max} unanswered at a
     * time; the futures answer each write, in batch order. A sender that throws fails the writes it was given. Without
     * {@code overlap} a run is sent only when every write sent before it was answered (runs of {@code max} writes).
     */
    static List<CompletableFuture<WriteReceipt>> send(int size, int max, boolean overlap, Sender sender) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, was " + max);
        }
        InFlightWindow window = new InFlightWindow(size, max, overlap, sender);
        window.pump();
        return window.results;
    }

    private void pump() {
        if (pumps.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            sendWhatFits();
            missed = pumps.addAndGet(-missed);
        } while (missed != 0);
    }

    private void sendWhatFits() {
        while (next < size) {
            int unanswered = next - answered.get();
            if (!overlap && unanswered > 0) {
                return;
            }
            int free = max - unanswered;
            int wanted = Math.min(refill, size - next);
            if (free < wanted) {
                return;
            }
            int from = next;
            int to = Math.min(size, from + free);
            next = to;
            List<CompletableFuture<WriteReceipt>> sent;
            try {
                sent = sender.send(from, to);
            } catch (RuntimeException e) {
                for (int i = from; i < to; i++) {
                    answer(i, null, e);
                }
                continue;
            }
            for (int i = from; i < to; i++) {
                int index = i;
                sent.get(i - from).whenComplete((receipt, failure) -> answer(index, receipt, failure));
            }
        }
    }

    private void answer(int index, WriteReceipt receipt, Throwable failure) {
        if (failure == null) {
            results.get(index).complete(receipt);
        } else {
            results.get(index).completeExceptionally(failure);
        }
        answered.incrementAndGet();
        pump();
    }
}
