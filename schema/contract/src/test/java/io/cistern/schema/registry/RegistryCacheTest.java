package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RegistryCacheTest {
    private static final TableRegistry EMPTY = new TableRegistry(4, List.of());
    private static final TableRegistry WITH_ORDERS = new TableRegistry(4, List.of(table("orders")));

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final InstantSource clock = () -> now.get();
    private final Deque<TableRegistry> loads = new ArrayDeque<>();
    private int loadCount;

    private static TableDef table(String name) {
        ColumnDef id = new ColumnDef("id", SqlType.BIGINT, false, false, 0);
        return new TableDef(name, List.of(id), List.of("id"), 1, Optional.empty());
    }

    private TableRegistry load() {
        loadCount++;
        return loads.isEmpty() ? EMPTY : loads.poll();
    }

    private void advance(Duration d) {
        now.set(now.get().plus(d));
    }

    @Test
    void missWithinTheInterval_doesNotReload() {
        RegistryCache cache = new RegistryCache(EMPTY, this::load, Duration.ofSeconds(1), clock);
        loads.add(WITH_ORDERS);

        advance(Duration.ofMillis(999));
        boolean reloaded = cache.reloadOnMiss();

        assertThat(reloaded).isFalse();
        assertThat(loadCount).isZero();
        assertThat(cache.table("orders")).isEmpty();
    }

    @Test
    void missAfterTheInterval_reloadsAndFindsTheNewTable() {
        RegistryCache cache = new RegistryCache(EMPTY, this::load, Duration.ofSeconds(1), clock);
        loads.add(WITH_ORDERS);

        advance(Duration.ofSeconds(1));
        boolean reloaded = cache.reloadOnMiss();

        assertThat(reloaded).isTrue();
        assertThat(loadCount).isEqualTo(1);
        assertThat(cache.table("orders")).isPresent();
        assertThat(cache.current()).isSameAs(WITH_ORDERS);
    }

    @Test
    void burstOfMisses_loadsOncePerInterval() {
        RegistryCache cache = new RegistryCache(EMPTY, this::load, Duration.ofMillis(250), clock);

        advance(Duration.ofMillis(250));
        cache.reloadOnMiss();
        cache.reloadOnMiss();
        cache.reloadOnMiss();
        advance(Duration.ofMillis(249));
        cache.reloadOnMiss();

        assertThat(loadCount).isEqualTo(1);

        advance(Duration.ofMillis(1));
        cache.reloadOnMiss();

        assertThat(loadCount).isEqualTo(2);
    }

    @Test
    void failedLoad_throwsKeepsTheOldRegistryAndCountsForTheInterval() {
        RegistryCache cache = new RegistryCache(
                WITH_ORDERS,
                () -> {
                    loadCount++;
                    throw new IllegalStateException("Redis is down");
                },
                Duration.ofSeconds(1),
                clock);

        advance(Duration.ofSeconds(2));

        assertThatThrownBy(cache::reloadOnMiss).hasMessage("Redis is down");
        assertThat(cache.current()).isSameAs(WITH_ORDERS);
        assertThat(cache.reloadOnMiss()).isFalse();
        assertThat(loadCount).isEqualTo(1);
    }

    @Test
    void zeroInterval_reloadsOnEveryMiss() {
        RegistryCache cache = new RegistryCache(EMPTY, this::load, Duration.ZERO, clock);

        cache.reloadOnMiss();
        cache.reloadOnMiss();

        assertThat(loadCount).isEqualTo(2);
    }

    @Test
    void fixedRegistry_neverReloads() {
        RegistryCache cache = RegistryCache.fixed(WITH_ORDERS);

        boolean reloaded = cache.reloadOnMiss();

        assertThat(reloaded).isFalse();
        assertThat(cache.current()).isSameAs(WITH_ORDERS);
        assertThat(cache.table("orders")).isPresent();
    }

    @Test
    void negativeInterval_isRefusedWithTheRule() {
        assertThatThrownBy(() -> new RegistryCache(EMPTY, this::load, Duration.ofMillis(-1), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the registry's reload interval must not be negative, was PT-0.001S");
    }
}
