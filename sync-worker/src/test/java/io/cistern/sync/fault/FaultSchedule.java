package io.cistern.sync.fault;

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
 * through every kind in a seeded order, until the fault phase is over and every kind fired at least once; counts
 * those fired while entries were in flight (a stream ahead of its applied watermark). Subclasses say what each fault
 * does.
 */
abstract class FaultSchedule<F extends Enum<F>> {
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
    private volatile boolean finished;

    FaultSchedule(String test, Random random, Set<F> kinds, ModelCheck check, List<Producer> producers) {
        this.test = test;
        this.random = random;
        this.kinds = Set.copyOf(kinds);
        this.check = check;
        this.producers = producers;
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
        if (Instant.now().plusMillis(gap).isAfter(end) && fired.keySet().containsAll(kinds)) {
            finished = true;
            stopped.countDown();
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
                        fire(fault);
                        fired.merge(fault, 1, Integer::sum);
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
