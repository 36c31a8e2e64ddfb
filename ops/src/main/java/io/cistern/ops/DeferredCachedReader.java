package io.cistern.ops;

import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.ReaderStatus;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.registry.TableRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link CachedReader} for a service that is up before Redis is: until {@link #connected} hands it the real reader,
 * every read is refused as retryable (HTTP 503 with Retry-After) and its status says it is not tracking (so readiness is
 * down). Closing it closes the real reader and then the resources handed in with it (its Redis client, its pool).
 * Thread-safe.
 */
final class DeferredCachedReader implements CachedReader {
    private static final TableRegistry NONE = new TableRegistry(1, List.of());

    private final AtomicReference<CachedReader> delegate = new AtomicReference<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final String waitingFor;

    DeferredCachedReader(String waitingFor) {
        this.waitingFor = waitingFor;
    }

    /** From now on, reads go to {@code reader}; {@code owned} are closed after it, in reverse order. */
    synchronized void connected(CachedReader reader, AutoCloseable... owned) {
        if (!delegate.compareAndSet(null, reader)) {
            throw new IllegalStateException("the reader is connected already");
        }
        resources.addAll(List.of(owned));
    }

    private CachedReader reader() {
        CachedReader r = delegate.get();
        if (r == null) {
            throw new RetryableException(
                    "REDIS_UNAVAILABLE",
                    "the read proxy is starting and still waiting for " + waitingFor + "; retry",
                    Duration.ofSeconds(1),
                    null);
        }
        return r;
    }

    @Override
    public ReadResult get(String table, String key) {
        return reader().get(table, key);
    }

    @Override
    public ReadResult get(String table, String key, long minVersion) {
        return reader().get(table, key, minVersion);
    }

    @Override
    public List<ReadResult> getAll(String table, List<String> keys) {
        return reader().getAll(table, keys);
    }

    @Override
    public String key(String table, Object... keyValues) {
        return reader().key(table, keyValues);
    }

    @Override
    public TableRegistry registry() {
        CachedReader r = delegate.get();
        return r == null ? NONE : r.registry();
    }

    @Override
    public ReaderStatus status() {
        CachedReader r = delegate.get();
        return r == null ? new ReaderStatus(false, 0, 0, 0) : r.status();
    }

    @Override
    public synchronized void close() {
        CachedReader r = delegate.getAndSet(null);
        if (r != null) {
            r.close();
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
        resources.clear();
    }
}
