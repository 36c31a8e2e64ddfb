package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SingleFlightTest {
    private final AtomicInteger joins = new AtomicInteger();
    private final AtomicInteger loads = new AtomicInteger();
    private final SingleFlight<Long> flight = new SingleFlight<>(Duration.ofSeconds(5), joins::incrementAndGet);
    private final CountDownLatch loading = new CountDownLatch(1);
    private final CountDownLatch finish = new CountDownLatch(1);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void end() {
        finish.countDown();
        threads.shutdownNow();
    }

    /** A load that answers {@code version} once the test lets it finish. */
    private Long slowLoad(long version) {
        loads.incrementAndGet();
        loading.countDown();
        try {
            finish.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return version;
    }

    private Future<Long> startSlowLoad(String key, long version) throws InterruptedException {
        Future<Long> first =
                threads.submit(() -> flight.load(key, "reading " + key, () -> slowLoad(version), v -> true));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        return first;
    }

    @Test
    void readOfAKeyInFlight_joinsItsLoadInsteadOfLoadingAgain() throws Exception {
        Future<Long> first = startSlowLoad("k", 7);
        Future<Long> second = threads.submit(() -> flight.load(
                "k",
                "reading k",
                () -> {
                    loads.incrementAndGet();
                    return 99L;
                },
                v -> true));
        await().atMost(Duration.ofSeconds(5)).until(() -> joins.get() == 1);

        finish.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(loads).hasValue(1);
        assertThat(flight.inFlight()).isZero();
    }

    @Test
    void sharedAnswerTooOld_joinerLoadsAgainUnshared() throws Exception {
        Future<Long> first = startSlowLoad("k", 7);
        Future<Long> second = threads.submit(() -> flight.load(
                "k",
                "reading k",
                () -> {
                    loads.incrementAndGet();
                    return 9L;
                },
                v -> v >= 8));
        await().atMost(Duration.ofSeconds(5)).until(() -> joins.get() == 1);

        finish.countDown();

        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(9);
        assertThat(loads).hasValue(2);
    }

    @Test
    void otherKeys_loadIndependently() throws Exception {
        startSlowLoad("k", 7);

        Long other = flight.load("other", "reading other", () -> 3L, v -> true);

        assertThat(other).isEqualTo(3);
        assertThat(joins).hasValue(0);
    }

    @Test
    void failedLoad_failsEveryJoinerWithTheSameException_andTheNextReadLoadsAfresh() throws Exception {
        RetryableException down = new RetryableException("REDIS_UNAVAILABLE", "Redis is down", Duration.ZERO, null);
        Future<Long> first = threads.submit(() -> flight.load(
                "k",
                "reading k",
                () -> {
                    loading.countDown();
                    try {
                        finish.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw down;
                },
                v -> true));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();
        Future<Long> second = threads.submit(() -> flight.load("k", "reading k", () -> 1L, v -> true));
        await().atMost(Duration.ofSeconds(5)).until(() -> joins.get() == 1);

        finish.countDown();

        assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS)).hasCause(down);
        assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).hasCause(down);
        assertThat(flight.load("k", "reading k", () -> 2L, v -> true)).isEqualTo(2);
    }

    @Test
    void loadInFlightLongerThanTheJoinTimeout_joinerFailsWithReadTimeout() throws Exception {
        SingleFlight<Long> impatient = new SingleFlight<>(Duration.ofMillis(100), joins::incrementAndGet);
        threads.submit(() -> impatient.load("k", "reading k", () -> slowLoad(7), v -> true));
        assertThat(loading.await(5, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> impatient.load("k", "reading record k", () -> 1L, v -> true))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("READ_TIMEOUT"))
                .hasMessage("reading record k waited 100 ms for the same read in flight; retry");
    }
}
