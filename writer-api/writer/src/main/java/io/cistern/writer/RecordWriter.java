package io.cistern.writer;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.AbstractRedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes records into Cistern: each write is one atomic Redis Function call that stores the record's latest state
 * and appends a change entry to its partition's stream, from where the sync worker applies it to PostgreSQL.
 *
 * <p><b>Contract.</b> When a write returns a {@link WriteReceipt}, it is durable in Redis (as durable as Redis's
 * persistence makes it) and will reach PostgreSQL; its version is greater than every earlier version of the record.
 * When it throws, nothing of it was stored:
 *
 * <ul>
 *   <li>{@link InvalidRecordException} (permanent) — the input is wrong: unknown table or column, wrong type, oversized
 *       value, missing or malformed key, a patch of a record known to be deleted. The exception names the field;
 *       nothing reached Redis.
 *   <li>{@link RetryableException} — Redis is unreachable or slow, the buffer is past its backpressure threshold, or a
 *       partition is being re-seeded after Redis lost its data. Retry after {@link RetryableException#retryAfter()}.
 *       There is no in-memory fallback: a write that failed is not stored anywhere.
 * </ul>
 *
 * Two cases are ambiguous, a {@link RetryableException} whose {@link RetryableException#outcomeUnknown()} is true:
 * a command timeout ({@code REDIS_TIMEOUT}: the write may or may not have been stored), and, with a replica wait
 * ({@link WriterSettings#waitReplicas()} above 0), a write its master stored but fewer replicas than asked acknowledged
 * in time ({@code REPLICA_WAIT_TIMEOUT}: stored on the master, lost if it fails over to a replica without it). With a
 * replica wait, a returned receipt also means that many replicas of its master hold the write.
 *
 * <p>Values: see {@link io.cistern.schema.codec.ValueCodec} for the Java types each column type accepts.
 *
 * <p>Thread-safe: share one writer across the threads of a process.
 */
public interface RecordWriter extends AutoCloseable {

    /** Connects to Redis and loads the registry; fails at once when Redis is unreachable or not initialised. */
    static RecordWriter connect(WriterSettings settings) {
        return LettuceRecordWriter.connect(settings, new CompositeMeterRegistry());
    }

    /**
     * Like {@link #connect(WriterSettings)}, and counts writes and refusals in {@code meters}: {@code
     * cistern.writer.writes} (tags {@code table}, {@code op}) and {@code cistern.writer.refusals} (tags {@code table},
     * {@code reason}); {@code table} is {@code unknown} for a table that is not registered.
     */
    static RecordWriter connect(WriterSettings settings, MeterRegistry meters) {
        return LettuceRecordWriter.connect(settings, meters);
    }

    /**
     * A writer on an existing Lettuce client (for example the one a Spring Boot application already configured): a
     * {@code RedisClient} (single server or Sentinel) or a {@code RedisClusterClient} (Redis Cluster),
     * which the caller keeps owning: the writer opens one connection from it, and {@link #close()} closes only that
     * connection, never the client. The client's options decide connecting, reconnecting and TLS; for the behaviour
     * described above (a write fails at once while Redis is unreachable, never queued in memory), its {@code
     * ClientOptions} should reject commands while disconnected, as {@code io.cistern.connections.RedisClients} sets
     * them. {@code settings.redis()} only names Redis in log messages (redacted) and bounds how long a blocking write
     * waits ({@link io.cistern.connections.RedisSettings#commandTimeout()}); its URL is not used to connect.
     *
     * @throws CisternException when Redis is unreachable or not initialised; the client stays open
     */
    static RecordWriter connect(WriterSettings settings, AbstractRedisClient client) {
        return LettuceRecordWriter.connect(settings, client, new CompositeMeterRegistry());
    }

    /** {@link #connect(WriterSettings, AbstractRedisClient)}, counting writes and refusals in {@code meters}. */
    static RecordWriter connect(WriterSettings settings, AbstractRedisClient client, MeterRegistry meters) {
        return LettuceRecordWriter.connect(settings, client, meters);
    }

    /** Replaces the whole record: columns not given take their default or NULL. */
    WriteReceipt put(String table, RecordKey key, Map<String, ?> columns);

    /** Changes the given columns of an existing record. */
    WriteReceipt patch(String table, RecordKey key, Map<String, ?> columns);

    /** Deletes the record, leaving a tombstone so that no older write can bring it back. */
    WriteReceipt delete(String table, RecordKey key);

    /** Performs one write. */
    WriteReceipt write(Write write);

    /**
     * Performs one write without blocking. The future fails with a {@link CisternException}; an invalid write fails the
     * future, it does not throw.
     */
    CompletableFuture<WriteReceipt> writeAsync(Write write);

    default CompletableFuture<WriteReceipt> putAsync(String table, RecordKey key, Map<String, ?> columns) {
        return writeAsync(Write.put(table, key, columns));
    }

    default CompletableFuture<WriteReceipt> patchAsync(String table, RecordKey key, Map<String, ?> columns) {
        return writeAsync(Write.patch(table, key, columns));
    }

    default CompletableFuture<WriteReceipt> deleteAsync(String table, RecordKey key) {
        return writeAsync(Write.delete(table, key));
    }

    /**
     * Performs many writes pipelined: far fewer round trips than one by one. Every write is validated first; if any
     * is invalid, or the batch holds more than {@link WriterSettings#maxBatch()} writes, the batch is refused whole
     * and nothing is sent. The writes are sent in batch order, at most {@link WriterSettings#maxInFlight()} unanswered
     * at a time, so a large batch never waits behind itself past the command timeout. Each write is then atomic on its
     * own; the receipt says which were accepted, in batch order.
     *
     * @throws InvalidRecordException for the first invalid write, naming its index in the message; {@code
     *     BATCH_TOO_LARGE} (field {@code writes}) for a batch over {@link WriterSettings#maxBatch()}
     */
    BatchReceipt writeAll(List<Write> writes);

    /** {@link #writeAll} without blocking. */
    CompletableFuture<BatchReceipt> writeAllAsync(List<Write> writes);

    /**
     * The flush barrier: completes once the write of {@code receipt} is <em>synced</em> to PostgreSQL, fails once it is
     * known to have been dead-lettered, and fails when {@code timeout} passes first. Needs Redis only, never the
     * database. The arguments are checked at once; every other outcome is in the future.
     *
     * <p><b>What "synced" means.</b> The sync worker has committed, in PostgreSQL, a transaction that covered the
     * write's change entry: the partition's applied watermark (meta hash {@code {prefix}:{p}:m}, field {@code applied})
     * is at or past {@link WriteReceipt#entryId()}, and the entry is not on the partition's dead-letter stream. From
     * then on the row holds this write's version <em>or a newer one</em>: a write superseded by a later write of the
     * same key (coalesced into one batch, or older than the row when it was applied) is synced too, because nothing
     * older than it can ever overwrite the row again. A synced delete leaves the row absent (with a tombstone at this
     * version or newer), unless a newer write put it back. Synced does not mean the row holds exactly these values:
     * read the row (or compare its {@code cistern_version}) for that.
     *
     * <p><b>Outcomes.</b>
     *
     * <ul>
     *   <li>{@link SyncOutcome} — synced, with the watermark that covered it and how long the wait took;
     *   <li>{@link DeadLetteredException} (permanent, code {@code DEAD_LETTERED}) — the worker dead-lettered the entry;
     *       the message, {@link DeadLetteredException#reason()} and {@link DeadLetteredException#sqlState()} say why.
     *       A dead letter resolved before the barrier looked (replayed or discarded, so the record key has left {@code
     *       {prefix}:{p}:dlqkeys}) is not seen, and the write counts as synced;
     *   <li>{@link SyncTimeoutException} (retryable, code {@code SYNC_TIMEOUT}) — neither within {@code timeout}; the
     *       message gives the partition's watermark. Nothing is lost: wait again with the same receipt;
     *   <li>another {@link RetryableException} — Redis failed while the barrier checked the dead letters at the very
     *       end of the timeout;
     *   <li>{@link PermanentException} code {@code WRITER_CLOSED} — the writer was closed while waiting.
     * </ul>
     *
     * <p><b>Cost.</b> Waiters of one partition share one {@code HGET} per poll (first after 10 ms, backing off to 200
     * ms while the watermark stands still); a covered waiter costs one {@code SISMEMBER}, and an {@code XRANGE} of the
     * dead-letter stream only when its record has an open dead letter. Cancelling the future stops the wait.
     *
     * @param receipt the receipt of a write made through any writer (or rebuilt from an HTTP or {@code FCALL} reply)
     * @param timeout how long to wait at most; zero checks once
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative or the receipt's entry ID is malformed
     */
    CompletableFuture<SyncOutcome> awaitSyncedAsync(WriteReceipt receipt, Duration timeout);

    /**
     * {@link #awaitSyncedAsync} blocking: returns the {@link SyncOutcome} or throws what the future would fail with
     * ({@link DeadLetteredException}, {@link SyncTimeoutException}, ...). When the calling thread is interrupted it
     * stops waiting, keeps the interrupt flag set and throws a {@link RetryableException} with code {@code
     * SYNC_INTERRUPTED}.
     */
    default SyncOutcome awaitSynced(WriteReceipt receipt, Duration timeout) {
        try {
            return awaitSyncedAsync(receipt, timeout).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof CisternException ce) {
                throw ce;
            }
            throw e;
        }
    }

    /** The registry snapshot this writer validates against. */
    TableRegistry registry();

    /** Closes the Redis connections, and the Redis client when the writer created it ({@link #connect(WriterSettings)}). */
    @Override
    void close();
}
