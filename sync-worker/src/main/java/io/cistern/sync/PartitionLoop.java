package io.cistern.sync;

import io.cistern.connections.Backoff;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.Consumer;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop of one owned partition, run by exactly one thread, which owns its Redis connection and closes it
 * when the loop ends (blocking reads never share a connection with lease renewal or other partitions).
 *
 * <p>Consumer group {@code sync}, consumer name = the partition number, so entries read by a worker that lost the
 * partition stay pending where the next owner looks. On start the loop first re-reads the partition's pending entries
 * (ID {@code 0}) in order and applies them, then reads new ones ({@code >}). A batch closes when it holds {@code
 * batchSize} entries or {@code linger} after its first entry arrived (a batch that fills up while lingering is seen
 * full at the next of a few non-blocking reads, at most a quarter of the linger later). Each batch: one transaction ({@link
 * BatchApplier}), its dead letters recorded in {@code cistern_dead_letter} inside it and appended to the
 * dead-letter stream before its commit, then one script call that acknowledges the batch, publishes the watermark and
 * releases the synced hashes ({@link BatchAcknowledgement}). Transient failures are retried here, and only here, with
 * capped exponential backoff and jitter; a missing foreign-key parent for at most {@code parentMissingTimeout}. A stale
 * fencing token ends the loop without acknowledging anything.
 *
 * <p><b>Reading ahead.</b> When a batch read with {@code >} is full, the next one is requested before the batch is
 * applied: one non-blocking {@code XREADGROUP COUNT batchSize} sent asynchronously on the loop's connection, answered
 * while the transaction runs. The fence guards ownership, not order, so the order is kept here, by the one loop thread:
 * the batch read ahead (N+1) is only taken in hand once batch N committed and its acknowledgement ran; while N is
 * retried it waits unapplied; if the loop ends (fenced out, stopped, interrupted) it stays pending under the
 * partition's consumer, never acknowledged, and the next owner's pending-first read applies it after N. The check for
 * older pending entries runs on it as on any new batch, after N's acknowledgement. A batch read ahead with fewer than
 * {@code batchSize} entries lingers from the moment it was requested (its first entry had arrived by then), with at
 * least one more non-blocking read for what arrived meanwhile. No read ahead in the pending-first phase, and none
 * after a batch that was not full (the stream is then drained, and the read would mostly come back empty).
 *
 * <p>{@link #stop()} asks the loop to finish the batch in hand (commit and acknowledge) and exit; it never abandons a
 * committed batch unacknowledged unless Redis is gone, in which case the entries stay pending and are re-applied
 * idempotently by the next owner. A batch read ahead is not in hand: it stays pending for the next owner.
 */
final class PartitionLoop implements Runnable {
    static final String GROUP = "sync";
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLoop.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /** How many reads collect a lingering batch's entries (one every {@code linger / LINGER_STEPS}). */
    private static final int LINGER_STEPS = 4;

    private final int partition;
    private final long token;
    private final SyncSettings settings;
    private final BatchApplier applier;
    private final RedisLink connection;
    private final InstantSource clock;
    private final Backoff backoff;
    private final RandomGenerator random = RandomGenerator.getDefault();
    private final String stream;
    private final Consumer<String> consumer;
    private final DeadLetterStream deadLetters;
    private final StreamTrimmer trimmer;
    private final BatchAcknowledgement acknowledgement;
    private final SyncMetrics metrics;
    /** Whether an operator paused this partition (ops/cistern pause); checked before every read. */
    private final PauseGate pauseGate;
    /** Why batches fail, published in the partition meta hash for operators ({@link ApplyErrorReport}). */
    private final ApplyErrorReport errors;
    /** The highest entry ID this loop committed; confined to the loop thread. */
    private java.util.Optional<String> watermark = java.util.Optional.empty();
    /** The next batch, requested while the one in hand is applied; null when none is. Confined to the loop thread. */
    private ReadAhead readAhead;
    /**
     * PostgreSQL's applied watermark when this loop got its fencing token: every entry up to it was applied or
     * dead-lettered by an earlier owner.
     */
    private final String appliedBefore;
    /** When the stream is trimmed next; confined to the loop thread. */
    private Instant nextTrimAt;
    /** How long a batch may wait for an answer before its connection is abandoned; confined to the loop thread. */
    private final ResponseBound responseBound;

    /**
     * The highest version PostgreSQL may hold for this partition as far as this owner knows: the floor read with its
     * fencing token, raised to each batch's highest version before the batch is first tried (an upper bound: a batch
     * may fail). Written by the loop thread, read by the lease thread to confirm the floor on the Redis server.
     */
    private volatile long floorBound;

    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile long appliedEntries;

    PartitionLoop(
            int partition,
            long token,
            long versionFloor,
            String appliedWatermark,
            SyncSettings settings,
            BatchApplier applier,
            RedisLink connection,
            InstantSource clock,
            Backoff backoff,
            SyncMetrics metrics) {
        this.partition = partition;
        this.token = token;
        this.floorBound = versionFloor;
        this.appliedBefore = appliedWatermark;
        this.settings = settings;
        this.applier = applier;
        this.connection = connection;
        this.clock = clock;
        this.backoff = backoff;
        this.metrics = metrics;
        KeyLayout layout = settings.layout();
        this.stream = layout.stream(partition);
        this.consumer = Consumer.from(GROUP, Integer.toString(partition));
        this.deadLetters = new DeadLetterStream(connection.commands(), layout, settings.workerId());
        this.trimmer = new StreamTrimmer(connection.commands());
        this.acknowledgement = new BatchAcknowledgement(connection.commands(), layout, settings.syncedHashTtl());
        this.nextTrimAt = clock.instant().plus(settings.trimInterval());
        this.pauseGate = new PauseGate(connection.commands(), partition, layout.meta(partition), clock);
        this.errors = new ApplyErrorReport(connection.commands(), layout.meta(partition));
        this.responseBound = new ResponseBound(settings.stallTimeout());
    }

    /** Asks the loop to finish the batch in hand and exit. Thread-safe. */
    void stop() {
        stopping = true;
    }

    boolean isFinished() {
        return finished.getCount() == 0;
    }

    /** Waits until the loop has exited; false if it has not within {@code timeout}. */
    boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    long appliedEntries() {
        return appliedEntries;
    }

    /** The highest version PostgreSQL may hold for this partition, as far as this owner knows. Thread-safe. */
    long floorBound() {
        return floorBound;
    }

    @Override
    public void run() {
        RedisClusterCommands<String, String> redis = connection.commands();
        boolean pending = true;
        int readFailures = 0;
        LOG.info("partition {}: worker {} took over with fencing token {}", partition, settings.workerId(), token);
        try {
            while (!stopping && !Thread.currentThread().isInterrupted()) {
                maybeTrim();
                if (pauseGate.isPaused()) {
                    // Paused by an operator: read and apply nothing, keep the lease; resuming continues in order.
                    Thread.sleep(PauseGate.CHECK_INTERVAL);
                    continue;
                }
                List<StreamMessage<String, String>> batch;
                try {
                    batch = pending ? readPending(redis) : readNew(redis);
                    readFailures = 0;
                } catch (RedisException e) {
                    // The read may have been executed and its reply lost (a restart, a reset, a timeout): its
                    // entries are then pending under this partition's consumer, so read the pending ones first.
                    readAhead = null;
                    pending = true;
                    readFailures++;
                    pause(readFailures, "reading the stream", e);
                    continue;
                }
                if (batch.isEmpty()) {
                    if (pending) {
                        LOG.debug("partition {}: pending entries done, reading new ones", partition);
                        pending = false;
                    }
                    continue;
                }
                boolean olderPending;
                try {
                    olderPending = !pending && pendingBelow(redis, batch.get(0).getId());
                } catch (RedisException e) {
                    pending = true;
                    readFailures++;
                    pause(readFailures, "checking the pending entries", e);
                    continue;
                }
                if (olderPending) {
                    // Entries older than this batch are pending (delivered by a read whose reply was lost, perhaps
                    // by a previous owner that was frozen): apply in stream order, so the watermark never passes an
                    // entry that is not applied. The new batch stays pending and is read again right after them.
                    LOG.info("partition {}: older entries are pending; applying them first", partition);
                    pending = true;
                    continue;
                }
                if (!pending && batch.size() == settings.batchSize() && !stopping) {
                    readAhead = new ReadAhead(readAheadRequest(), clock.instant());
                }
                process(redis, batch, !pending);
            }
        } catch (FencedOutException e) {
            LOG.warn("{}; this worker stops working on it", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("partition {}: interrupted; the batch in hand stays pending for the next owner", partition);
        } catch (RuntimeException e) {
            LOG.error("partition {}: loop failed; the batch in hand stays pending for the next owner", partition, e);
        } finally {
            connection.close();
            finished.countDown();
        }
    }

    /** Whether this partition's consumer has a pending entry older than {@code firstId}. */
    private boolean pendingBelow(RedisClusterCommands<String, String> redis, String firstId) {
        List<PendingMessage> lowest = redis.xpending(stream, consumer, Range.create("-", "+"), Limit.from(1));
        return !lowest.isEmpty() && StreamIds.compare(lowest.get(0).getId(), firstId) < 0;
    }

    private List<StreamMessage<String, String>> readPending(RedisClusterCommands<String, String> redis) {
        // Acknowledged entries leave the pending list, so reading from 0 again yields the next pending ones.
        return redis.xreadgroup(
                consumer, XReadArgs.Builder.count(settings.batchSize()), XReadArgs.StreamOffset.from(stream, "0"));
    }

    /** The read sent ahead: the next batch with {@code >}, not blocking, on this loop's connection. */
    private RedisFuture<List<StreamMessage<String, String>>> readAheadRequest() {
        return connection
                .async()
                .xreadgroup(
                        consumer,
                        XReadArgs.Builder.count(settings.batchSize()),
                        XReadArgs.StreamOffset.lastConsumed(stream));
    }

    /**
     * A read sent ahead and when: its entries had arrived by {@code sentAt}. Its reply comes before the answer to
     * anything sent after it on the connection (the batch's acknowledgement), so it is normally there when taken.
     */
    private record ReadAhead(RedisFuture<List<StreamMessage<String, String>>> reply, Instant sentAt) {
        List<StreamMessage<String, String>> await(Duration timeout) {
            List<StreamMessage<String, String>> read =
                    LettuceFutures.awaitOrCancel(reply, timeout.toNanos(), TimeUnit.NANOSECONDS);
            return read == null ? List.of() : read;
        }
    }

    private List<StreamMessage<String, String>> readNew(RedisClusterCommands<String, String> redis) {
        ReadAhead ahead = readAhead;
        readAhead = null;
        List<StreamMessage<String, String>> first =
                ahead == null ? List.of() : ahead.await(connection.connection().getTimeout());
        Instant firstArrived = ahead == null ? null : ahead.sentAt();
        if (first.isEmpty()) {
            first = redis.xreadgroup(
                    consumer,
                    XReadArgs.Builder.count(settings.batchSize()).block(POLL),
                    XReadArgs.StreamOffset.lastConsumed(stream));
            firstArrived = clock.instant();
            ahead = null;
        }
        if (first == null || first.isEmpty()) {
            return List.of();
        }
        List<StreamMessage<String, String>> batch = new ArrayList<>(first);
        // The batch stays open for the linger unless it is full: collect what arrived meanwhile with a few reads that
        // do not block, spaced over the linger. A blocking read would return at every arriving entry, and at moderate
        // rates cost a read (Redis and worker CPU) for every few entries. A batch that fills up closes at the next
        // step, at most a quarter of the linger late. A batch read ahead may have lingered its time out while the one
        // before was applied: it still collects once what arrived during its linger.
        Instant closesAt = firstArrived.plus(settings.linger());
        long step = Math.max(1, settings.linger().toNanos() / LINGER_STEPS);
        for (int i = 0; i <= LINGER_STEPS && batch.size() < settings.batchSize() && !stopping; i++) {
            long left = Duration.between(clock.instant(), closesAt).toNanos();
            if (left <= 0 && (ahead == null || i > 0)) {
                break;
            }
            if (left > 0) {
                LockSupport.parkNanos(Math.min(left, step));
            }
            List<StreamMessage<String, String>> read = redis.xreadgroup(
                    consumer,
                    XReadArgs.Builder.count(settings.batchSize() - batch.size()),
                    XReadArgs.StreamOffset.lastConsumed(stream));
            if (read != null) {
                batch.addAll(read);
            }
        }
        return batch;
    }

    /**
     * Applies one batch. {@code fresh}: read with {@code >}, never delivered before, so in a whole history every entry
     * comes after everything this partition ever applied and carries a higher version (the Function issues versions in
     * stream order); one that does not was issued by a shorter history (see {@link #shorterHistory}).
     */
    private void process(
            RedisClusterCommands<String, String> redis, List<StreamMessage<String, String>> batch, boolean fresh)
            throws InterruptedException {
        List<ChangeEntry> entries = new ArrayList<>(batch.size());
        List<DeadLetter> malformed = new ArrayList<>();
        List<String> ids = new ArrayList<>(batch.size());
        for (StreamMessage<String, String> m : batch) {
            ids.add(m.getId());
            if (m.getBody() == null || m.getBody().isEmpty()) {
                LOG.warn(
                        "partition {}: pending entry {} is no longer in the stream; acknowledging it",
                        partition,
                        m.getId());
                continue;
            }
            try {
                entries.add(ChangeEntry.fromFields(m.getId(), m.getBody()));
            } catch (IllegalArgumentException e) {
                malformed.add(new DeadLetter(m.getId(), m.getBody(), e.getMessage(), "", 1));
            }
        }
        metrics.batchRead(partition, batch.size());
        List<DeadLetter> setAside = fresh ? shorterHistory(redis, entries) : List.of();
        malformed.forEach(d -> metrics.deadLettered(partition, d.fields().get(ChangeEntry.TABLE)));
        // Malformed entries go to cistern_dead_letter like poison ones: in the batch's fenced transaction, which
        // passes them with the watermark (and to the dead-letter stream just before its commit).
        List<DeadLetter> aside = new ArrayList<>(setAside);
        aside.addAll(malformed);
        ApplyResult result = null;
        if (!entries.isEmpty() || !aside.isEmpty()) {
            Instant firstAttempt = clock.instant();
            long highest =
                    entries.stream().mapToLong(ChangeEntry::version).max().orElse(0);
            if (highest > floorBound) {
                floorBound = highest;
            }
            result = applyWithRetries(entries, aside);
            Instant committed = clock.instant();
            metrics.batchCommitted(
                    partition, Duration.between(firstAttempt, committed), entries, result, committed.toEpochMilli());
            appliedEntries += result.entries() - result.deadLetters().size();
        }
        acknowledge(ids, entries, result);
    }

    /**
     * Acknowledges the committed batch, publishes its watermark and releases its synced hashes, in one script call
     * ({@link BatchAcknowledgement}), sent again until it succeeds: it is idempotent as a whole.
     *
     * @param result the batch's outcome; null when it committed nothing (every entry gone from the stream)
     */
    private void acknowledge(List<String> ids, List<ChangeEntry> entries, ApplyResult result)
            throws InterruptedException {
        java.util.Optional<String> applied =
                java.util.Optional.ofNullable(result).map(ApplyResult::watermark);
        Set<String> deadLettered = new java.util.HashSet<>();
        if (result != null) {
            result.deadLetters().forEach(d -> deadLettered.add(d.entryId()));
        }
        retryRedis(
                () -> acknowledgement.acknowledge(partition, ids, applied, entries, deadLettered),
                "acknowledging " + ids.size() + " entries");
        if (applied.isPresent()) {
            watermark = applied;
        }
    }

    /**
     * The dead letters of the {@code entries} a shorter history issued (invariant 1): a fresh entry whose version is
     * not above {@link #floorBound()} came from a Redis whose partition meta had issued fewer versions than PostgreSQL
     * may hold (a meta rolled back on a server that was not restarted, so the Function's confirmation gate did not stop
     * it). Applied, it could lose to an older row and be reported synced; the batch dead-letters it instead, with a
     * reason that says so (the watermark passes it like any entry), and the floor is confirmed on the server at once
     * so that the next writes get versions above PostgreSQL's.
     */
    private List<DeadLetter> shorterHistory(RedisClusterCommands<String, String> redis, List<ChangeEntry> entries)
            throws InterruptedException {
        long bound = floorBound;
        List<ChangeEntry> issuedBelow =
                entries.stream().filter(e -> e.version() <= bound).toList();
        if (issuedBelow.isEmpty()) {
            return List.of();
        }
        // Delivered again, not issued again: a server promoted from a replica whose copy of the consumer group lagged
        // hands out entries the old master had already delivered, which PostgreSQL's watermark has passed. They were
        // applied (or dead-lettered) once; they are acknowledged, not applied again and not dead-lettered.
        List<ChangeEntry> redelivered = issuedBelow.stream()
                .filter(e -> StreamIds.compare(e.id(), appliedBefore) <= 0
                        || watermark.isPresent() && StreamIds.compare(e.id(), watermark.get()) <= 0)
                .toList();
        if (!redelivered.isEmpty()) {
            LOG.info(
                    "partition {}: {} entries delivered again up to {}, already applied (PostgreSQL's watermark is"
                            + " {}): the server's consumer group was behind, as on a replica promoted before it had"
                            + " every delivery; acknowledging them",
                    partition,
                    redelivered.size(),
                    redelivered.getLast().id(),
                    watermark.orElse(appliedBefore));
            entries.removeAll(redelivered);
            issuedBelow =
                    issuedBelow.stream().filter(e -> !redelivered.contains(e)).toList();
            if (issuedBelow.isEmpty()) {
                return List.of();
            }
        }
        LOG.warn(
                "partition {}: {} new entries carry versions not above {}, the highest PostgreSQL may hold: Redis"
                        + " issued them from a shorter history; they go to the dead-letter stream, and the floor is"
                        + " raised on the server",
                partition,
                issuedBelow.size(),
                bound);
        retryRedis(
                () -> redis.fcall(
                        FunctionLibrary.CONFIRM_FUNCTION,
                        ScriptOutputType.MULTI,
                        new String[] {settings.layout().meta(partition)},
                        Long.toString(bound)),
                "raising the floor of a shorter history");
        metrics.floorConfirmed(partition, true);
        return issuedBelow.stream()
                .map(e -> DeadLetter.of(
                        e,
                        "issued by a shorter Redis history: version " + e.version() + " is not above " + bound
                                + ", the highest version PostgreSQL may already hold for partition " + partition
                                + " (Redis lost writes it had acknowledged, or its partition meta was set back), so an"
                                + " older row could win over it; not applied: write it again (it now gets a version"
                                + " above PostgreSQL's)",
                        "",
                        1))
                .toList();
    }

    /** Trims the stream every {@code trimInterval} ({@link StreamTrimmer}); a failure waits for the next round. */
    private void maybeTrim() {
        Instant now = clock.instant();
        if (now.isBefore(nextTrimAt)) {
            return;
        }
        nextTrimAt = now.plus(settings.trimInterval());
        try {
            long trimmed = trimmer.trim(stream, watermark);
            if (trimmed > 0) {
                LOG.debug("partition {}: trimmed {} acknowledged entries from {}", partition, trimmed, stream);
            }
        } catch (RedisException e) {
            LOG.warn(
                    "partition {}: trimming {} failed; trying again in {} ms: {}",
                    partition,
                    stream,
                    settings.trimInterval().toMillis(),
                    e.getMessage());
        }
    }

    /**
     * The one retry loop for a batch's transaction. Each attempt waits at most {@link ResponseBound#current()} for each
     * answer from PostgreSQL; an attempt that got none was abandoned on its dead connection ({@link
     * BatchFailedException#stalled()}), and the next one runs on a fresh connection with twice the bound.
     */
    private ApplyResult applyWithRetries(List<ChangeEntry> entries, List<DeadLetter> setAside)
            throws InterruptedException {
        Instant parentMissingSince = null;
        boolean parentMissingIsPermanent = false;
        for (int attempt = 1; ; attempt++) {
            Instant started = clock.instant();
            try {
                ApplyResult result = applier.apply(
                        partition,
                        token,
                        entries,
                        setAside,
                        attempt,
                        parentMissingIsPermanent,
                        d -> deadLetters.append(partition, d),
                        responseBound.current());
                responseBound.succeeded(Duration.between(started, clock.instant()), attempt == 1);
                errors.succeeded();
                return result;
            } catch (FencedOutException e) {
                throw e;
            } catch (BatchFailedException e) {
                errors.failed(e, clock.instant());
                if (e.stalled()) {
                    responseBound.stalled();
                }
                if (e.classified().kind() == SqlFailureTranslator.Kind.PARENT_MISSING) {
                    Instant now = clock.instant();
                    parentMissingSince = parentMissingSince == null ? now : parentMissingSince;
                    Duration missingFor = Duration.between(parentMissingSince, now);
                    if (missingFor.compareTo(settings.parentMissingTimeout()) >= 0) {
                        LOG.warn(
                                "partition {}: a foreign-key parent has been missing for {} ms (limit {} ms); the entries"
                                        + " that need it go to the dead-letter stream",
                                partition,
                                missingFor.toMillis(),
                                settings.parentMissingTimeout().toMillis());
                        parentMissingIsPermanent = true;
                        continue;
                    }
                }
                pause(attempt, "applying " + entries.size() + " entries", e);
            } catch (RedisException e) {
                // Appending dead letters failed before commit: nothing was committed.
                errors.failed(e, clock.instant());
                pause(attempt, "appending dead letters", e);
            }
        }
    }

    private void retryRedis(Runnable action, String what) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                action.run();
                return;
            } catch (RedisException e) {
                pause(attempt, what, e);
            }
        }
    }

    /** Waits before retry {@code attempt}; logs {@code retry n in m ms: cause}. Gives up once stopping past the drain. */
    private void pause(int attempt, String what, RuntimeException cause) throws InterruptedException {
        metrics.retried(partition, cause);
        Duration delay = backoff.delay(attempt, random.nextDouble());
        LOG.warn(
                "partition {}: {} failed; retry {} in {} ms: {}",
                partition,
                what,
                attempt,
                delay.toMillis(),
                cause.getMessage());
        Thread.sleep(delay);
    }
}
