package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalCacheTest {
    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;
    private LocalCache cache;

    private static LocalCache.Entry found(long version) {
        return new LocalCache.Entry(new ReadResult.Absent("t", "k", version, Tier.REDIS), false);
    }

    @BeforeEach
    void start() {
        cache = new LocalCache(100, Duration.ofMinutes(1), Duration.ofSeconds(2), ticker);
        cache.active(true);
    }

    @Test
    void loadWithNoInvalidationMeanwhile_isInstalled() {
        long begun = cache.begin();

        assertThat(cache.install("k", found(1), begun)).isTrue();

        assertThat(cache.get("k")).isEqualTo(found(1));
    }

    @Test
    void invalidationDuringALoad_keepsTheLoadOut() {
        // given a load that began, then an invalidation of its key before it installs
        long begun = cache.begin();
        cache.invalidate("k");

        // when it installs, nothing is cached
        assertThat(cache.install("k", found(1), begun)).isFalse();
        assertThat(cache.get("k")).isNull();
        // and a load begun after the invalidation installs
        assertThat(cache.install("k", found(2), cache.begin())).isTrue();
    }

    @Test
    void clearDuringALoad_keepsTheLoadOut() {
        long begun = cache.begin();
        cache.clear();

        assertThat(cache.install("other", found(1), begun)).isFalse();
    }

    @Test
    void inactive_servesAndInstallsNothing() {
        cache.install("k", found(1), cache.begin());

        cache.active(false);

        assertThat(cache.get("k")).isNull();
        assertThat(cache.install("j", found(1), cache.begin())).isFalse();
    }

    @Test
    void negativeEntries_expireAfterTheirShortTtl_othersAfterTheLongOne() {
        cache.install("absent", new LocalCache.Entry(new ReadResult.Absent("t", "a", 0, Tier.DATABASE), true), 0);
        cache.install("present", found(3), 0);

        nanos.addAndGet(Duration.ofSeconds(3).toNanos());

        assertThat(cache.get("absent")).isNull();
        assertThat(cache.get("present")).isNotNull();
        nanos.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(cache.get("present")).isNull();
    }

    @Test
    void invalidationOfAnotherKey_doesNotDropThisOne() {
        cache.install("k", found(1), cache.begin());

        cache.invalidate("other-key");

        assertThat(cache.get("k")).isNotNull();
    }
}
