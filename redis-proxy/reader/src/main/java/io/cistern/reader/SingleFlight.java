package io.cistern.reader;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One load per key at a time in this process: a read of a key whose load is already in flight waits for that load's
 * answer (or failure) instead of asking Redis and PostgreSQL again, so a stampede on one key costs one load.
 *
 * <p>Thread-safe. The load runs on the thread that started it; joiners wait at most the join timeout, then fail with
 * {@code READ_TIMEOUT}.
 */
final class SingleFlight<V> {
    private final ConcurrentHashMap<String, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();
    private final Duration joinTimeout;
    private final Runnable onJoin;

    /** @param onJoin called each time a read joins a load in flight instead of starting one */
    SingleFlight(Duration joinTimeout, Runnable onJoin) {
        this.joinTimeout = Objects.requireNonNull(joinTimeout, "joinTimeout");
        this.onJoin = Objects.requireNonNull(onJoin, "onJoin");
    }

    /**
     * Joins the load of {@code key} in flight, or runs {@code load} and shares its outcome with every read that joins
     * meanwhile. A joined answer that {@code enough} refuses (a load that began before the caller's own write) is not
     * used: the caller runs {@code load} itself, unshared.
     *
     * @param what the read, for messages
     */
    V load(String key, String what, Supplier<V> load, Predicate<V> enough) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            onJoin.run();
            V shared = join(running, what);
            return enough.test(shared) ? shared : load.get();
        }
        try {
            V result = load.get();
            mine.complete(result);
            return result;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /** Loads in flight right now. */
    int inFlight() {
        return inFlight.size();
    }

    private V join(CompletableFuture<V> running, String what) {
        try {
            return running.get(joinTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw ReadFailures.redis(what, e.getCause());
        } catch (TimeoutException e) {
            throw new RetryableException(
                    "READ_TIMEOUT",
                    what + " waited " + joinTimeout.toMillis() + " ms for the same read in flight; retry",
                    ReadFailures.RETRY_AFTER,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("INTERRUPTED", what + " was interrupted", Duration.ZERO, e);
        }
    }
}
