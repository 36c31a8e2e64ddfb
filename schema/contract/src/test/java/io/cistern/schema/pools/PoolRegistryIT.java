package io.cistern.schema.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The announcements set on a real Redis: expiry by the server's clock, withdrawal, the key's own TTL. */
class PoolRegistryIT {
    private final TestRedis redis = TestRedis.create("PoolRegistryIT");
    private final KeyLayout layout = new KeyLayout(redis.prefix());
    private final PoolRegistry registry = new PoolRegistry(redis.commands(), layout);
    private final DatabasePool worker = new DatabasePool("1@a", "w1", DatabasePool.SYNC_WORKER, 4, "db:5432/app");
    private final DatabasePool proxy = new DatabasePool("2@b", "r1", DatabasePool.READ_PROXY, 3, "db:5432/app");

    @AfterEach
    void tearDown() {
        redis.close();
    }

    @Test
    void anAnnouncementNotRenewed_expiresAfterItsLifetime_theOthersStay() {
        registry.announce(worker, Duration.ofMillis(400));
        registry.announce(proxy, Duration.ofMinutes(1));

        assertThat(registry.live())
                .extracting(PoolRegistry.Announcement::pool)
                .containsExactly(java.util.Optional.of(worker), java.util.Optional.of(proxy));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(registry.live()).singleElement().satisfies(a -> {
                    assertThat(a.pool()).contains(proxy);
                    assertThat(a.expiresIn()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1));
                }));
        assertThat(redis.commands().zcard(layout.pools())).as("trimmed on read").isEqualTo(1);
    }

    @Test
    void reAnnouncing_movesTheExpiry_andWithdrawingRemovesAtOnce() {
        registry.announce(worker, Duration.ofMillis(500));
        registry.announce(worker, Duration.ofMinutes(1));

        assertThat(registry.live())
                .singleElement()
                .satisfies(a -> assertThat(a.expiresIn()).isGreaterThan(Duration.ofSeconds(50)));
        registry.withdraw(worker);
        assertThat(registry.live()).isEmpty();
    }

    @Test
    void theKeyExpires_twoLifetimesAfterTheLongestAnnouncement() {
        registry.announce(worker, Duration.ofMinutes(1));
        registry.announce(proxy, Duration.ofMillis(100));

        assertThat(redis.commands().pttl(layout.pools()))
                .as("a short announcement never shortens the key's life")
                .isGreaterThan(Duration.ofSeconds(100).toMillis());
    }

    @Test
    void aMemberFromAnotherRelease_isListedUnread() {
        redis.commands().zadd(layout.pools(), 9.0e15, "{\"v\":2}");

        assertThat(registry.live()).singleElement().satisfies(a -> {
            assertThat(a.pool()).isEmpty();
            assertThat(a.member()).isEqualTo("{\"v\":2}");
        });
    }
}
