package io.cistern.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time per operation, for a machine whose cores other processes share: there a benchmark's wall-clock time per
 * operation varies tenfold with what else runs, while the CPU time it spends varies far less. Per iteration, like
 * {@code -prof gc}'s {@code gc.alloc.rate.norm} (the same operation count: every operation of the iteration):
 *
 * <ul>
 *   <li>{@code cpu.thread.norm}: CPU nanoseconds of the benchmark's own threads ({@code jmh-worker}) per operation;
 *   <li>{@code cpu.process.norm}: CPU nanoseconds of the whole JVM per operation, with the garbage collector's and the
 *       JIT compilers' threads (and JMH's own, a small constant share).
 * </ul>
 *
 * Use: {@code -prof io.cistern.jmh.CpuTimeProfiler}.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private Map<Long, Long> workersBefore = Map.of();
    private long processBefore;

    @Override
    public String getDescription() {
        return "CPU time per operation: the benchmark threads' and the whole JVM's";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        // Worker threads may not exist yet before the first iteration; a thread missing here counts from zero.
        workersBefore = workerCpu();
        processBefore = os.getProcessCpuTime();
    }

    @Override
    public List<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        long process = os.getProcessCpuTime() - processBefore;
        long worker = 0;
        for (Map.Entry<Long, Long> e : workerCpu().entrySet()) {
            worker += e.getValue() - workersBefore.getOrDefault(e.getKey(), 0L);
        }
        long ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        return List.of(
                new ScalarResult("cpu.thread.norm", (double) worker / ops, "ns/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.process.norm", (double) process / ops, "ns/op", AggregationPolicy.AVG));
    }

    private Map<Long, Long> workerCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("jmh-worker")) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                if (t >= 0) {
                    cpu.put(info.getThreadId(), t);
                }
            }
        }
        return cpu;
    }
}
