package io.cistern.writer;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.registry.TableRegistry;
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
 * A command timeout is the one ambiguous case: the write may or may not have been stored (the exception says so).
 *
 * <p>Values: see {@link io.cistern.schema.codec.ValueCodec} for the Java types each column type accepts.
 *
 * <p>Thread-safe: share one writer across the threads of a process.
 */
public interface RecordWriter extends AutoCloseable {

    /** Connects to Redis and loads the registry; fails at once when Redis is unreachable or not initialised. */
    static RecordWriter connect(WriterSettings settings) {
        return LettuceRecordWriter.connect(settings);
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
     * Performs many writes in one pipeline: far fewer round trips than one by one. Every write is validated first; if
     * any is invalid the batch is refused whole and nothing is sent. Each write is then atomic on its own; the receipt
     * says which were accepted.
     *
     * @throws InvalidRecordException for the first invalid write, naming its index in the message
     */
    BatchReceipt writeAll(List<Write> writes);

    /** {@link #writeAll} without blocking. */
    CompletableFuture<BatchReceipt> writeAllAsync(List<Write> writes);

    /** The registry snapshot this writer validates against. */
    TableRegistry registry();

    /** Closes the Redis connections. */
    @Override
    void close();
}
