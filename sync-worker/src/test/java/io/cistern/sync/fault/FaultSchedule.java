package io.cistern.sync.fault;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fires a model-based fault test's faults one after another on its own thread, at seeded random intervals, cycling
 * through every kind in a seeded order, until the fault phase is over and every kind fired at least {@link #rounds()}
 * times; counts those fired while entries were in flight (a stream ahead of its applied watermark). Subclasses say what
 * each fault does.
 *
 * <p>By default (CI) the phase is one round: every kind once, each after a seeded gap of writes, which is what the
 * tests' assertions need (every kind fired, some while entries were in flight) and costs the least time. A soak sets
 * {@code -Dcistern.fault.minutes} (faults keep firing until that time is over) or {@code -Dcistern.fault.rounds}.
 */
abstract class FaultSchedule<F extends Enum<F>> {
    private static final String MINUTES = "cistern.fault.minutes";
    private static final String ROUNDS = "cistern.fault.rounds";

    protected final Random random;
    private final String test;
    private final Set<F> kinds;
    private final ModelCheck check;
    private final List<Producer> producers;
    private final Map<F, Integer> fired = Collections.synchronizedMap(new TreeMap<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong inFlight = new AtomicLong();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<F> cycle = new ArrayList<>();
    private final int rounds = rounds();
    private volatile boolean finished;

    FaultSchedule(String test, Random random, Set<F> kinds, ModelCheck check, List<Producer> producers) {
        this.test = test;
        this.random = random;
        this.kinds = Set.copyOf(kinds);
        this.check = check;
        this.producers = producers;
    }

    /** How long faults fire at least: {@code -Dcistern.fault.minutes}, by default no longer than the rounds take. */
    static Duration minimumPhase() {
        double minutes = Double.parseDouble(System.getProperty(MINUTES, "0"));
        if (!(minutes >= 0)) {
            throw new IllegalArgumentException("-D" + MINUTES + " must be 0 or more, not " + minutes);
        }
        return Duration.ofMillis((long) (minutes * 60_000));
    }

    /** How many times every kind fires at least: {@code -Dcistern.fault.rounds}, by default once. */
    static int rounds() {
        int rounds = Integer.getInteger(ROUNDS, 1);
        if (rounds < 1) {
            throw new IllegalArgumentException("-D" + ROUNDS + " must be 1 or more, not " + rounds);
        }
        return rounds;
    }

    /** "at least N s of faults and R round(s) of every kind", for a test's first line. */
    static String describePhase() {
        int r = rounds();
        return String.format(
                "faults for at least %d s and %d round%s of every kind",
                minimumPhase().toSeconds(), r, r == 1 ? "" : "s");
    }

    /** Does {@code fault}; returns once the servers are usable again (the fault over, or the cluster agreed). */
    protected abstract void fire(F fault) throws Exception;

    /** The kinds that have not fired (yet). */
    List<F> notFired() {
        synchronized (fired) {
            return kinds.stream().filter(k -> !fired.containsKey(k)).sorted().toList();
        }
    }

    void scheduleNext(ScheduledExecutorService thread, Instant end) {
        long gap = 800 + random.nextInt(1_700);
        if (Instant.now().plusMillis(gap).isAfter(end) && everyKindFired(rounds)) {
            // The writes go on for one more gap: what the last fault left behind (a promotion's keys, a lost history)
            // is written over, as after every other fault.
            thread.schedule(
                    () -> {
                        finished = true;
                        stopped.countDown();
                    },
                    gap,
                    TimeUnit.MILLISECONDS);
            return;
        }
        thread.schedule(
                () -> {
                    F fault = nextFault();
                    try {
                        boolean entriesInFlight = check.entriesInFlight();
                        System.out.printf(
                                "%s: %s, entries in flight: %s, acknowledged so far: %d%n",
                                test, fault, entriesInFlight, acknowledged());
                        long at = System.nanoTime();
                        fire(fault);
                        fired.merge(fault, 1, Integer::sum);
                        System.out.printf(
                                "%s: %s over after %d ms%n", test, fault, (System.nanoTime() - at) / 1_000_000);
                        if (entriesInFlight) {
                            inFlight.incrementAndGet();
                        }
                    } catch (Exception | AssertionError e) {
                        System.out.println(test + ": fault " + fault + " failed: " + e);
                        failures.add(fault + ": " + e);
                    }
                    scheduleNext(thread, end);
                },
                gap,
                TimeUnit.MILLISECONDS);
    }

    private boolean everyKindFired(int times) {
        synchronized (fired) {
            return kinds.stream().allMatch(k -> fired.getOrDefault(k, 0) >= times);
        }
    }

    private F nextFault() {
        if (cycle.isEmpty()) {
            cycle.addAll(kinds);
            cycle.sort(null);
            Collections.shuffle(cycle, random);
        }
        return cycle.removeFirst();
    }

    protected long acknowledged() {
        return producers.stream().mapToLong(p -> p.acknowledged.get()).sum();
    }

    boolean finished() {
        return finished;
    }

    void awaitStopped() throws InterruptedException {
        stopped.await(1, TimeUnit.MINUTES);
    }

    Map<F, Integer> fired() {
        synchronized (fired) {
            return new TreeMap<>(fired);
        }
    }

    long inFlight() {
        return inFlight.get();
    }

    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
