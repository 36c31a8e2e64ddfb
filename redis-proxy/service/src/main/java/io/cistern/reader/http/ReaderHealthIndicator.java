package io.cistern.reader.http;

import io.cistern.reader.CachedReader;
import io.cistern.reader.ReaderStatus;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Whether the reader's Redis connection is up and tracking its keys: only then does it answer (a reader cut off from
 * Redis answers nothing, not even from its local cache, since it may have missed invalidations). Details: the local
 * cache size, invalidations received, whole-cache clears. Thread-safe.
 */
final class ReaderHealthIndicator implements HealthIndicator {
    private final CachedReader reader;

    ReaderHealthIndicator(CachedReader reader) {
        this.reader = reader;
    }

    @Override
    public Health health() {
        ReaderStatus s = reader.status();
        Health.Builder health = s.trackingActive() ? Health.up() : Health.down();
        if (!s.trackingActive()) {
            health.withDetail(
                    "error",
                    "the reader's Redis connection is down or not tracking its keys yet; reads fail as retryable until"
                            + " it is back");
        }
        return health.withDetail("localEntries", s.localEntries())
                .withDetail("invalidations", s.invalidations())
                .withDetail("localCacheClears", s.localCacheClears())
                .build();
    }
}
