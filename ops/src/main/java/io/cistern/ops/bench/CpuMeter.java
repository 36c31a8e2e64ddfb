package io.cistern.ops.bench;

import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the CPU went during a measurement, in cores (CPU seconds per wall second): this JVM (the workers, or the
 * baseline loop), Redis ({@code INFO cpu}), every process named {@code postgres} on this host (backends, WAL writer,
 * checkpointer; other users of a shared server are included), and the whole machine ({@code /proc/stat}). The
 * PostgreSQL and machine figures are read from {@code /proc} and are absent elsewhere. Not thread-safe.
 */
final class CpuMeter {
    /** Clock ticks per second of {@code /proc/<pid>/stat}; 100 on every Linux this runs on. */
    private static final double TICKS = 100.0;

    private final RedisCommands<String, String> redis;

    CpuMeter(RedisCommands<String, String> redis) {
        this.redis = redis;
    }

    /** Cumulative CPU seconds at one moment. */
    record Snapshot(long nanos, double jvm, double redis, double postgres, double machineBusy) {}

    /** Cores used between two snapshots. */
    record Use(double jvm, double redis, double postgres, double machine) {
        String describe() {
            return String.format(
                    java.util.Locale.ROOT,
                    "JVM %.2f, Redis %.2f, PostgreSQL %.2f, machine %.2f cores",
                    jvm,
                    redis,
                    postgres,
                    machine);
        }

        /** The CPU each process spent per unit of work done at {@code perSecond}, in microseconds. */
        String perUnit(double perSecond, String unit) {
            return String.format(
                    java.util.Locale.ROOT,
                    "JVM %.1f, Redis %.1f, PostgreSQL %.1f µs a %s",
                    1e6 * jvm / perSecond,
                    1e6 * redis / perSecond,
                    1e6 * postgres / perSecond,
                    unit);
        }
    }

    Snapshot take() {
        double jvm = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() / 1e9
                : 0;
        return new Snapshot(System.nanoTime(), jvm, redisCpu(), postgresCpu(), machineBusy());
    }

    Use since(Snapshot start) {
        Snapshot end = take();
        double wall = (end.nanos() - start.nanos()) / 1e9;
        return new Use(
                (end.jvm() - start.jvm()) / wall,
                (end.redis() - start.redis()) / wall,
                Math.max(0, end.postgres() - start.postgres()) / wall,
                (end.machineBusy() - start.machineBusy()) / wall);
    }

    private double redisCpu() {
        double total = 0;
        for (String line : redis.info("cpu").lines().toList()) {
            if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
                total +=
                        Double.parseDouble(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return total;
    }

    /** CPU seconds of every live process named postgres; exited backends drop out, so short rounds undercount. */
    private static double postgresCpu() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .mapToDouble(CpuMeter::postgresSeconds)
                    .sum();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double postgresSeconds(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            if (open < 0 || close < 0 || !stat.substring(open + 1, close).equals("postgres")) {
                return 0;
            }
            String[] f = stat.substring(close + 2).split(" ");
            // After "pid (comm) ", field 3 (state) is f[0]; utime and stime are fields 14 and 15.
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double machineBusy() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] f = lines.getFirst().trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy / TICKS;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
