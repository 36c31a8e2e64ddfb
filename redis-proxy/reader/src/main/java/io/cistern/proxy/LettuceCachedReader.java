package io.cistern.proxy;

import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;

/** The reader's engine. Under construction. */
final class LettuceCachedReader {
    private LettuceCachedReader() {}

    static CachedReader create(ReaderSettings settings, RedisClient redis, DataSource database, MeterRegistry meters) {
        throw new UnsupportedOperationException("CachedReader is being built (issue 6)");
    }
}
