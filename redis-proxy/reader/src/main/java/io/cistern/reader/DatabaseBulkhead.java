package io.cistern.reader;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * Bounds what a slow or stalled PostgreSQL can take from the reader: at most {@code slots} queries at a time, each on
 * its own virtual thread, and a reader waits for a slot, the connection and the query for at most {@code timeout} in
 * total, then fails with {@code DATABASE_UNAVAILABLE}. A query that outlives its reader's wait keeps its slot until it
 * ends, so a stalled database cannot hold more than {@code slots} pool connections, however many readers time out.
 *
 * <p>Thread-safe. Owns its executor; {@link #close()} lets running queries end and refuses new ones
 * ({@code READER_CLOSED}).
 */
final class DatabaseBulkhead implements AutoCloseable {
    private final Semaphore slots;
    private final int slotCount;
    private final Duration timeout;
    private final ExecutorService threads;
    private final BiConsumer<String, Duration> observer;

    /**
     * @param observer told each call's outcome ({@code ok}, {@code rejected}, {@code timeout}, {@code failed}) and how
     *     long the reader waited
     */
    DatabaseBulkhead(int slots, Duration timeout, BiConsumer<String, Duration> observer) {
        if (slots < 1) {
            throw new IllegalArgumentException("the database bulkhead needs at least one slot, got " + slots);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the database timeout must be positive, was " + timeout);
        }
        this.slots = new Semaphore(slots);
        this.slotCount = slots;
        this.timeout = timeout;
        this.observer = Objects.requireNonNull(observer, "observer");
        this.threads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("cistern-reader-db-", 0).factory());
    }

    /**
     * Runs {@code query} in a slot and returns its result.
     *
     * @param what the read, for messages ("reading record 7 of table 'orders' from PostgreSQL")
     * @throws RetryableException {@code DATABASE_UNAVAILABLE} when no slot or no answer came within the timeout, or the
     *     query's failure as {@link ReadFailures#database} classifies it
     */
    <T> T call(String what, Callable<T> query) {
        long budget = timeout.toNanos();
        long start = System.nanoTime();
        try {
            if (!slots.tryAcquire(budget, TimeUnit.NANOSECONDS)) {
                observer.accept("rejected", since(start));
                throw ReadFailures.unavailable(
                        what + " found all " + slotCount + " database slots (maxConcurrentFills) busy for "
                                + timeout.toMillis() + " ms: PostgreSQL is slow or down",
                        null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(what, e);
        }
        Future<T> running;
        try {
            running = threads.submit(() -> {
                try {
                    return query.call();
                } finally {
                    slots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            slots.release();
            throw ReadFailures.closed();
        }
        try {
            T result = running.get(Math.max(0, budget - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
            observer.accept("ok", since(start));
            return result;
        } catch (TimeoutException e) {
            // The query keeps its slot (and its connection) until it ends: the bound on connections holds.
            observer.accept("timeout", since(start));
            throw ReadFailures.unavailable(
                    what + " got no answer within " + timeout.toMillis()
                            + " ms (databaseTimeout, PROXY_DATABASE_TIMEOUT_MS)",
                    e);
        } catch (ExecutionException e) {
            observer.accept("failed", since(start));
            throw ReadFailures.database(what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(what, e);
        }
    }

    /** Slots free right now. */
    int freeSlots() {
        return slots.availablePermits();
    }

    private static RetryableException interrupted(String what, InterruptedException e) {
        return new RetryableException("INTERRUPTED", what + " was interrupted", Duration.ZERO, e);
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public void close() {
        threads.shutdown();
    }
}
