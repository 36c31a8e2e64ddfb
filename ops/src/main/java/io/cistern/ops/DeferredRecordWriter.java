package io.cistern.ops;

import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.BatchReceipt;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncOutcome;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link RecordWriter} for a service that is up before Redis is: until {@link #connected} hands it the real writer,
 * every write is refused as retryable (HTTP 503 with Retry-After), nothing is buffered, and the registry is empty.
 * Lets the service answer liveness and readiness probes while it waits for Redis at startup. Thread-safe.
 */
final class DeferredRecordWriter implements RecordWriter {
    private static final TableRegistry NONE = new TableRegistry(1, List.of());

    private final AtomicReference<RecordWriter> delegate = new AtomicReference<>();
    private final String waitingFor;

    DeferredRecordWriter(String waitingFor) {
        this.waitingFor = waitingFor;
    }

    /** From now on, writes go to {@code writer}. */
    void connected(RecordWriter writer) {
        if (!delegate.compareAndSet(null, writer)) {
            throw new IllegalStateException("the writer is connected already");
        }
    }

    private RecordWriter writer() {
        RecordWriter w = delegate.get();
        if (w == null) {
            throw new RetryableException(
                    "REDIS_UNAVAILABLE",
                    "the writer is starting and still waiting for " + waitingFor + "; nothing was written, retry",
                    Duration.ofSeconds(1),
                    null);
        }
        return w;
    }

    @Override
    public WriteReceipt put(String table, RecordKey key, Map<String, ?> columns) {
        return writer().put(table, key, columns);
    }

    @Override
    public WriteReceipt patch(String table, RecordKey key, Map<String, ?> columns) {
        return writer().patch(table, key, columns);
    }

    @Override
    public WriteReceipt delete(String table, RecordKey key) {
        return writer().delete(table, key);
    }

    @Override
    public WriteReceipt write(Write write) {
        return writer().write(write);
    }

    @Override
    public CompletableFuture<WriteReceipt> writeAsync(Write write) {
        try {
            return writer().writeAsync(write);
        } catch (RetryableException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public BatchReceipt writeAll(List<Write> writes) {
        return writer().writeAll(writes);
    }

    @Override
    public CompletableFuture<BatchReceipt> writeAllAsync(List<Write> writes) {
        try {
            return writer().writeAllAsync(writes);
        } catch (RetryableException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<SyncOutcome> awaitSyncedAsync(WriteReceipt receipt, Duration timeout) {
        try {
            return writer().awaitSyncedAsync(receipt, timeout);
        } catch (RetryableException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public TableRegistry registry() {
        RecordWriter w = delegate.get();
        return w == null ? NONE : w.registry();
    }

    @Override
    public void close() {
        RecordWriter w = delegate.get();
        if (w != null) {
            w.close();
        }
    }
}
