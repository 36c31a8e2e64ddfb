package io.cistern.writer;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.DeadLetterFields;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The flush barrier behind {@link RecordWriter#awaitSyncedAsync}: answers, for a write's receipt, whether the sync
 * worker has applied it, dead-lettered it, or neither within the timeout. It needs Redis only.
 *
 * <h2>How</h2>
 *
 * The worker publishes each partition's applied watermark in field {@code applied} of the meta hash {@code
 * {prefix}:{p}:m} after every commit, forward only: every entry up to it is committed or dead-lettered. One {@code
 * HGET} per partition per round serves every waiter of that partition ({@link SyncWaitQueue} decides the cadence and
 * the timeouts). Once the watermark covers a waiter's entry, one {@code SISMEMBER} on {@code {prefix}:{p}:dlqkeys}
 * tells whether the record has an open dead letter at all; only then is the dead-letter stream {@code
 * {prefix}:{p}:dlq} read from the entry's millisecond time onward (dead letters are appended after the entry was
 * written, before the commit that moves the watermark past it), page by page, for a dead letter whose {@code
 * entry_id} is the entry's.
 *
 * <h2>Threads</h2>
 *
 * All state lives on one daemon thread ({@code cistern-sync-barrier}), started on first use and stopped by {@link
 * #close()}. Redis calls are asynchronous on the writer's shared connection; their replies are handed back to that
 * thread, so nothing here blocks and nothing needs a lock. Thread-safe to call from any thread.
 */
final class SyncBarrier implements AutoCloseable {
    static final Duration FIRST_POLL = Duration.ofMillis(10);
    static final Duration MAX_POLL = Duration.ofMillis(200);
    private static final int DEAD_LETTER_PAGE = 200;

    /**
     * Where sync workers come from, named in every timeout: the most common cause of one is that none runs. The
     * writer does not know whether it runs in Spring Boot, so the hint names both ways.
     */
    static final String SYNC_WORKER_HINT = "start one with `ops/cistern sync-worker` or `ops/cistern up`; in a Spring"
            + " Boot application, cistern.sync.embedded.enabled=true runs one inside it";

    private final RedisClusterAsyncCommands<String, String> redis;
    private final KeyLayout layout;
    private final InstantSource clock;
    private final Duration firstPoll;
    private final Duration maxPoll;
    private final ScheduledThreadPoolExecutor thread;

    /** Confined to {@link #thread}. */
    private final Map<Integer, Watch> watches = new HashMap<>();
    /** Waiters whose dead-letter check is in flight; confined to {@link #thread}. */
    private final Set<PendingSync> checking = new HashSet<>();

    private volatile boolean closed;

    /** One partition's waiters and its poll schedule. Confined to {@link #thread}. */
    private final class Watch {
        final int partition;
        final SyncWaitQueue queue = new SyncWaitQueue(firstPoll, maxPoll);
        ScheduledFuture<?> scheduled;
        Instant scheduledFor;
        boolean polling;
        String lastFailure;

        Watch(int partition) {
            this.partition = partition;
        }
    }

    SyncBarrier(RedisClusterAsyncCommands<String, String> redis, KeyLayout layout, InstantSource clock) {
        this(redis, layout, clock, FIRST_POLL, MAX_POLL);
    }

    SyncBarrier(
            RedisClusterAsyncCommands<String, String> redis,
            KeyLayout layout,
            InstantSource clock,
            Duration firstPoll,
            Duration maxPoll) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.clock = Objects.requireNonNull(clock, "clock");
        new SyncWaitQueue(firstPoll, maxPoll); // validates the pair once, here
        this.firstPoll = firstPoll;
        this.maxPoll = maxPoll;
        this.thread = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().daemon().name("cistern-sync-barrier").factory());
        this.thread.setRemoveOnCancelPolicy(true);
        this.thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    CompletableFuture<SyncOutcome> await(WriteReceipt receipt, Duration timeout) {
        Objects.requireNonNull(receipt, "receipt must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        StreamEntryId entryId = StreamEntryId.parse(receipt.entryId());
        Instant now = clock.instant();
        Instant deadline =
                timeout.compareTo(Duration.ofDays(365)) > 0 ? now.plus(Duration.ofDays(365)) : now.plus(timeout);
        PendingSync pending = new PendingSync(receipt, entryId, now, deadline, new CompletableFuture<>());
        if (closed || !onThread(() -> add(pending))) {
            pending.future().completeExceptionally(closedFailure(receipt));
        }
        return pending.future();
    }

    private void add(PendingSync pending) {
        if (closed) {
            pending.future().completeExceptionally(closedFailure(pending.receipt()));
            return;
        }
        Watch watch = watches.computeIfAbsent(pending.receipt().partition(), Watch::new);
        watch.queue.add(pending);
        schedule(watch);
    }

    /** Makes sure the next poll of {@code watch} is due no later than its queue asks. */
    private void schedule(Watch watch) {
        if (watch.polling) {
            return; // the reply schedules the next round
        }
        Instant now = clock.instant();
        Optional<Duration> next = watch.queue.nextPoll(now);
        if (next.isEmpty()) {
            cancel(watch);
            watches.remove(watch.partition);
            return;
        }
        Instant due = now.plus(next.get());
        if (watch.scheduled != null && !watch.scheduled.isDone() && !watch.scheduledFor.isAfter(due)) {
            return;
        }
        cancel(watch);
        watch.scheduledFor = due;
        watch.scheduled = thread.schedule(() -> poll(watch), next.get().toNanos(), TimeUnit.NANOSECONDS);
    }

    private static void cancel(Watch watch) {
        if (watch.scheduled != null) {
            watch.scheduled.cancel(false);
            watch.scheduled = null;
        }
    }

    private void poll(Watch watch) {
        watch.scheduled = null;
        if (closed) {
            return;
        }
        watch.polling = true;
        redis.hget(layout.meta(watch.partition), MetaFields.APPLIED)
                .whenComplete((applied, failure) -> onThread(() -> polled(watch, applied, failure)));
    }

    private void polled(Watch watch, String applied, Throwable failure) {
        watch.polling = false;
        if (closed) {
            return;
        }
        Optional<StreamEntryId> watermark = Optional.empty();
        if (failure != null) {
            watch.lastFailure = "reading " + layout.meta(watch.partition) + " failed: " + failure.getMessage();
        } else if (applied != null) {
            try {
                watermark = Optional.of(StreamEntryId.parse(applied));
                watch.lastFailure = null;
            } catch (IllegalArgumentException e) {
                watch.lastFailure = "the applied watermark in " + layout.meta(watch.partition) + " is not a stream"
                        + " entry ID: " + e.getMessage();
            }
        } else {
            watch.lastFailure = null;
        }
        SyncWaitQueue.Round round = watch.queue.observe(watermark, clock.instant());
        for (PendingSync p : round.covered()) {
            checkDeadLetter(p, watermark.orElseThrow().toString());
        }
        for (PendingSync p : round.expired()) {
            p.future().completeExceptionally(timedOut(p, watch));
        }
        schedule(watch);
    }

    /** The watermark covers {@code p}: applied unless its entry was dead-lettered. */
    private void checkDeadLetter(PendingSync p, String watermark) {
        checking.add(p);
        WriteReceipt r = p.receipt();
        String recordKey = layout.record(r.partition(), r.table(), r.key());
        redis.sismember(layout.deadLetterKeys(r.partition()), recordKey)
                .toCompletableFuture()
                .thenCompose(open -> open
                        ? findDeadLetter(p, Range.Boundary.including(p.entryId().millis() + "-0"))
                        : CompletableFuture.completedFuture(Optional.<StreamMessage<String, String>>empty()))
                .whenComplete((deadLetter, failure) -> onThread(() -> checked(p, watermark, deadLetter, failure)));
    }

    private CompletableFuture<Optional<StreamMessage<String, String>>> findDeadLetter(
            PendingSync p, Range.Boundary<String> from) {
        String stream = layout.deadLetters(p.receipt().partition());
        return redis.xrange(stream, Range.from(from, Range.Boundary.unbounded()), Limit.from(DEAD_LETTER_PAGE))
                .toCompletableFuture()
                .thenCompose(page -> {
                    for (StreamMessage<String, String> m : page) {
                        if (p.receipt().entryId().equals(m.getBody().get(DeadLetterFields.ENTRY_ID))) {
                            return CompletableFuture.completedFuture(Optional.of(m));
                        }
                    }
                    if (page.size() < DEAD_LETTER_PAGE) {
                        return CompletableFuture.completedFuture(Optional.empty());
                    }
                    return findDeadLetter(
                            p, Range.Boundary.excluding(page.getLast().getId()));
                });
    }

    private void checked(
            PendingSync p, String watermark, Optional<StreamMessage<String, String>> deadLetter, Throwable failure) {
        checking.remove(p);
        if (p.future().isDone()) {
            return;
        }
        Instant now = clock.instant();
        if (failure != null) {
            if (!now.isBefore(p.deadline())) {
                p.future()
                        .completeExceptionally(FailureTranslator.fromRedis(
                                "checking the dead letters of " + describe(p.receipt()), failure));
            } else {
                add(p); // the watermark still covers it: the next round checks again
            }
            return;
        }
        Duration waited = Duration.between(p.startedAt(), now);
        if (deadLetter.isPresent()) {
            p.future().completeExceptionally(deadLettered(p.receipt(), deadLetter.get()));
        } else {
            p.future().complete(new SyncOutcome(p.receipt(), watermark, waited));
        }
    }

    private DeadLetteredException deadLettered(WriteReceipt r, StreamMessage<String, String> letter) {
        Map<String, String> f = letter.getBody();
        String reason = f.getOrDefault(DeadLetterFields.REASON, "");
        String sqlState = f.getOrDefault(DeadLetterFields.SQLSTATE, "");
        return new DeadLetteredException(
                r,
                reason,
                sqlState,
                letter.getId(),
                describe(r) + " was dead-lettered by sync worker " + f.getOrDefault(DeadLetterFields.WORKER, "?")
                        + " after "
                        + f.getOrDefault(DeadLetterFields.ATTEMPTS, "?") + " attempt(s): " + reason
                        + (sqlState.isEmpty() ? "" : " (SQLSTATE " + sqlState + ")")
                        + "; PostgreSQL does not hold it. The dead letter is " + letter.getId() + " on "
                        + layout.deadLetters(r.partition()) + ": fix the cause, then replay it");
    }

    private SyncTimeoutException timedOut(PendingSync p, Watch watch) {
        WriteReceipt r = p.receipt();
        Duration waited = Duration.between(p.startedAt(), clock.instant());
        Optional<StreamEntryId> watermark = watch.queue.lastWatermark();
        String state;
        if (watch.lastFailure != null) {
            state = watch.lastFailure;
        } else if (watermark.isEmpty()) {
            state = "partition " + r.partition() + " has no applied watermark yet (no sync worker has committed a"
                    + " batch of it since Redis last started)";
        } else {
            long behind = p.entryId().millis() - watermark.get().millis();
            state = "the applied watermark of partition " + r.partition() + " is " + watermark.get()
                    + (behind > 0 ? ", " + behind + " ms of writes behind the entry" : ", just before the entry");
        }
        return new SyncTimeoutException(
                r,
                watermark.map(StreamEntryId::toString).orElse(null),
                waited,
                describe(r) + " was not synced within " + waited.toMillis() + " ms: " + state
                        + ". The write is stored in Redis and reaches PostgreSQL once a sync worker applies it;"
                        + " wait again, and check that a sync worker runs and reaches PostgreSQL ("
                        + SYNC_WORKER_HINT + ")",
                null);
    }

    private static String describe(WriteReceipt r) {
        return r.op().wire() + " " + r.table() + "/" + r.key() + " (partition " + r.partition() + ", entry "
                + r.entryId() + ", version " + r.version() + ")";
    }

    private static CisternException closedFailure(WriteReceipt r) {
        return new PermanentException(
                "WRITER_CLOSED",
                "waiting for " + describe(r) + " to be synced stopped: the RecordWriter is closed; the write itself"
                        + " is stored in Redis and still reaches PostgreSQL",
                null);
    }

    /** Runs {@code action} on the barrier's thread; false when the barrier is shut down. */
    private boolean onThread(Runnable action) {
        try {
            thread.execute(action);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Fails every waiter with {@code WRITER_CLOSED} and stops the thread. Waits up to two seconds for it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        onThread(() -> {
            closed = true;
            for (Watch w : watches.values()) {
                cancel(w);
                for (PendingSync p : w.queue.removeAll()) {
                    p.future().completeExceptionally(closedFailure(p.receipt()));
                }
            }
            watches.clear();
            for (PendingSync p : List.copyOf(checking)) {
                p.future().completeExceptionally(closedFailure(p.receipt()));
            }
            checking.clear();
        });
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
