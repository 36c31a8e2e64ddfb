package io.cistern.sync.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.writer.RecordWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;

/**
 * One run of a model-based fault test: {@link Producer}s writing on threads of their own while a {@link FaultSchedule}
 * fires faults for the fault phase, their uncertain keys settled afterwards, and the end state judged by {@link
 * ModelCheck}. The seed fixes the producers' writes and the schedule (thread timing still varies).
 */
final class ModelRun {
    private static final Duration STEP = Duration.ofMillis(3);

    private final String test;
    private final long seed;
    private final ModelCheck check;
    private final Random schedule;
    private final List<Producer> producers = new ArrayList<>();
    private final Instant started = Instant.now();

    ModelRun(String test, long seed, ModelCheck check, RecordWriter writer, int producerCount) {
        this.test = test;
        this.seed = seed;
        this.check = check;
        this.schedule = new Random(seed);
        for (int i = 0; i < producerCount; i++) {
            producers.add(new Producer(i, schedule.nextLong(), writer, 12, 3));
        }
    }

    List<Producer> producers() {
        return producers;
    }

    /** The fault schedule's own random source, derived from the seed (take it once). */
    Random faultRandom() {
        return new Random(schedule.nextLong());
    }

    /**
     * Writes while {@code faults} fire for the fault phase ({@link FaultSchedule#minimumPhase()} and its rounds), then
     * checks the workers survived and settles every key a write left uncertain with a later put or delete, as an
     * application would.
     */
    void writeWhileFaultsFire(FaultSchedule<?> faults, List<ForkedWorker> workers) throws InterruptedException {
        Duration faultPhase = FaultSchedule.minimumPhase();
        ScheduledExecutorService producerThreads = Executors.newScheduledThreadPool(
                producers.size(), Thread.ofPlatform().name("producer-", 0).factory());
        producers.forEach(
                p -> producerThreads.scheduleWithFixedDelay(p::step, 0, STEP.toMillis(), TimeUnit.MILLISECONDS));
        ScheduledExecutorService faultThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("faults").factory());
        Instant phaseStarted = Instant.now();
        faults.scheduleNext(faultThread, phaseStarted.plus(faultPhase));
        try {
            await("fault phase over")
                    .atMost(faultPhase.plusMinutes(3L * FaultSchedule.rounds()))
                    .pollInterval(Duration.ofMillis(100))
                    .until(faults::finished);
            System.out.printf(
                    "%s: fault phase over after %.1f s%n",
                    test, Duration.between(phaseStarted, Instant.now()).toMillis() / 1000.0);
        } finally {
            faultThread.shutdownNow();
            producerThreads.shutdown();
            assertThat(producerThreads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        faults.awaitStopped();
        workers.forEach(w ->
                assertThat(w.isAlive()).as(w.name() + " alive\n" + w.tail()).isTrue());
        for (Producer p : producers) {
            await("producer settles its uncertain keys")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(p::resolveOne);
        }
    }

    long acknowledged() {
        return producers.stream().mapToLong(p -> p.acknowledged.get()).sum();
    }

    /** The first failure of each code that is not one of {@code expected}, for a line of its own. */
    Map<String, String> otherFailures(Set<String> expected) {
        Map<String, String> other = new TreeMap<>();
        producers.forEach(p -> p.firstFailureByCode.forEach((code, first) -> {
            if (!expected.contains(code)) {
                other.putIfAbsent(code, first);
            }
        }));
        return other;
    }

    /** "N writes acknowledged, ..." for the summary line. */
    String writeCounts() {
        Map<String, Long> failedByCode = new TreeMap<>();
        producers.forEach(p -> p.failedByCode.forEach((code, n) -> failedByCode.merge(code, n.get(), Long::sum)));
        return String.format(
                "%d writes acknowledged, %d patches refused as deleted, %d writes failed retryably %s",
                acknowledged(),
                producers.stream().mapToLong(p -> p.refusedAsDeleted.get()).sum(),
                producers.stream().mapToLong(p -> p.failedRetryable.get()).sum(),
                failedByCode);
    }

    /**
     * Waits for every stream to drain and asserts, softly, what every run must show: every fault fired (and none
     * failed), some while entries were in flight, no unexpected writer outcome, more than 1000 writes acknowledged, and
     * the end state ({@link ModelCheck#assertEndState}). The caller adds its own assertions and calls {@code
     * assertAll()}.
     */
    SoftAssertions verify(FaultSchedule<?> faults, Path logDir) throws Exception {
        List<String> undrained = check.drained(Duration.ofSeconds(60));
        System.out.printf(
                "%s: seed=%d: %s after %d s in all%n",
                test,
                seed,
                undrained.isEmpty() ? "drained" : "NOT drained",
                Duration.between(started, Instant.now()).toSeconds());
        String run = "seed " + seed + "; worker output in " + logDir.toAbsolutePath();
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(faults.failures())
                .as("faults that could not be fired")
                .isEmpty();
        producers.forEach(p -> softly.assertThat(p.unexpected())
                .as("unexpected writer outcomes")
                .isEmpty());
        softly.assertThat(faults.inFlight())
                .as("faults fired while entries were in flight (%s)", run)
                .isPositive();
        softly.assertThat(faults.notFired()).as("fault kinds never fired").isEmpty();
        softly.assertThat(acknowledged()).isGreaterThan(1_000);
        check.assertEndState(softly, producers, undrained, run);
        return softly;
    }
}
