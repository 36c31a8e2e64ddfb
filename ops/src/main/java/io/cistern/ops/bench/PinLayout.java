package io.cistern.ops.bench;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The cores of {@code bench --pin}, which simulates a database host and a pipeline host on one machine: PostgreSQL on
 * the first half of the cores (rounded down, at least one), Redis and the bench JVM (the sync workers, the producer and
 * the baseline loop) sharing the rest. 2 cores: PostgreSQL on CPU 0, Redis and the JVM on CPU 1; 4 cores: 0-1 and 2-3;
 * 3 cores: 0 and 1-2. The CPU lists are {@code taskset -c} lists. Pure.
 */
public record PinLayout(int cores, String postgresCpus, String pipelineCpus) {
    /** The layout on a machine of {@code cores} cores; refuses fewer than 2, where there is nothing to separate. */
    public static PinLayout of(int cores) {
        if (cores < 2) {
            throw new IllegalArgumentException(
                    "bench --pin needs at least 2 cores (one for PostgreSQL, one for Redis and the JVM), this machine"
                            + " has " + cores);
        }
        int postgres = cores / 2;
        return new PinLayout(cores, list(0, postgres), list(postgres, cores));
    }

    /** The rule, for the JSON and the report. */
    public static final String RULE = "PostgreSQL on the first floor(cores/2) CPUs, Redis and the bench JVM (workers,"
            + " producer, baseline loop) on the rest";

    /**
     * A run inside the pinned JVM: the layout, and the processes of the private servers (the redis-server and the
     * postmaster) whose CPU lists the JSON reports back as the kernel has them.
     */
    public record Pinned(PinLayout layout, long redisPid, long postmasterPid) {}

    private static String list(int from, int to) {
        return IntStream.range(from, to).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
