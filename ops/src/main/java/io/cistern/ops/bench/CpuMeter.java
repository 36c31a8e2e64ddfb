package io.cistern.ops.bench;

import io.cistern.connections.RedisDeployment;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where the CPU went during a measurement, in cores (CPU seconds per wall second): this JVM (the workers, or the
 * baseline loop), Redis ({@code INFO cpu} of every master: {@code used_cpu_user + used_cpu_sys}, exact per node and
 * readable from a remote one), every process named {@code postgres} on this host (backends, WAL writer, checkpointer;
 * other users of a shared server are included), and the whole machine ({@code /proc/stat}). The PostgreSQL and machine
 * figures are read from {@code /proc} and are absent elsewhere. On a Redis Cluster the Redis figure is the sum over the
 * masters, and {@link Use#redisByMaster()} keeps each master's own; replicas are not counted.
 *
 * <p>Two more figures per measurement: Redis {@code INFO commandstats} (calls and microseconds per command, summed over
 * the masters), and, when the bench runs against a PostgreSQL server it started itself ({@code bench --pin}), the CPU
 * of that server alone: its postmaster and every child ({@link Use#privatePostgres()}, NaN otherwise, because on a
 * shared host the {@code postgres} sum counts every server's processes and every other client's backends). Not
 * thread-safe.
 */
final class CpuMeter {
    /** Clock ticks per second of {@code /proc/<pid>/stat}; 100 on every Linux this runs on. */
    private static final double TICKS = 100.0;

    private final RedisDeployment redis;
    private final OptionalLong postmasterPid;

    /** Against a shared PostgreSQL: no private server's CPU. */
    CpuMeter(RedisDeployment redis) {
        this(redis, OptionalLong.empty());
    }

    /** With {@code postmasterPid}, the PostgreSQL server the bench started itself, when there is one. */
    CpuMeter(RedisDeployment redis, OptionalLong postmasterPid) {
        this.redis = redis;
        this.postmasterPid = postmasterPid;
    }

    /** One Redis command's cumulative {@code calls} and {@code usec} ({@code INFO commandstats}). */
    record CommandStat(long calls, long usec) {
        CommandStat plus(CommandStat o) {
            return new CommandStat(calls + o.calls, usec + o.usec);
        }

        CommandStat minus(CommandStat o) {
            return new CommandStat(calls - o.calls, usec - o.usec);
        }
    }

    /**
     * Cumulative CPU seconds at one moment; {@code redisByMaster} by master address, {@code redis} their sum; {@code
     * privatePostgres} NaN without a private server; {@code commands} summed over the masters, by lower-case name.
     */
    record Snapshot(
            long nanos,
            double jvm,
            double redis,
            Map<String, Double> redisByMaster,
            double postgres,
            double privatePostgres,
            double machineBusy,
            Map<String, CommandStat> commands) {}

    /**
     * Cores used between two snapshots over {@code seconds} of wall time; {@code redisByMaster} is each master's
     * cores, by address (one entry off a cluster), {@code redis} their sum.
     */
    record Use(
            double seconds,
            double jvm,
            double redis,
            Map<String, Double> redisByMaster,
            double postgres,
            double privatePostgres,
            double machine,
            Map<String, CommandStat> commands) {
        /** Without the private server's CPU and the command statistics (measurements that do not need them). */
        Use(
                double seconds,
                double jvm,
                double redis,
                Map<String, Double> redisByMaster,
                double postgres,
                double machine) {
            this(seconds, jvm, redis, redisByMaster, postgres, Double.NaN, machine, Map.of());
        }

        /** Whether {@link #privatePostgres()} was measured (the bench started its PostgreSQL itself). */
        boolean hasPrivatePostgres() {
            return !Double.isNaN(privatePostgres);
        }

        /** The CPU seconds {@code master} spent in the measured span; 0 for a master absent from either snapshot. */
        double redisSeconds(String master) {
            return redisByMaster.getOrDefault(master, 0.0) * seconds;
        }

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
        Map<String, Double> byMaster = new LinkedHashMap<>();
        Map<String, CommandStat> commands = new TreeMap<>();
        for (RedisDeployment.Master m : redis.masters()) {
            byMaster.put(m.address(), redisCpu(m.sync()));
            parseCommandStats(m.sync().info("commandstats")).forEach((c, s) -> commands.merge(c, s, CommandStat::plus));
        }
        double total =
                byMaster.values().stream().mapToDouble(Double::doubleValue).sum();
        return new Snapshot(
                System.nanoTime(),
                jvm,
                total,
                java.util.Collections.unmodifiableMap(byMaster),
                postgresCpu(),
                postmasterPid.isPresent() ? processTreeSeconds(postmasterPid.getAsLong()) : Double.NaN,
                machineBusy(),
                java.util.Collections.unmodifiableMap(commands));
    }

    Use since(Snapshot start) {
        Snapshot end = take();
        double wall = (end.nanos() - start.nanos()) / 1e9;
        Map<String, Double> byMaster = new LinkedHashMap<>();
        end.redisByMaster().forEach((address, seconds) -> {
            Double before = start.redisByMaster().get(address);
            if (before != null) {
                byMaster.put(address, (seconds - before) / wall);
            }
        });
        Map<String, CommandStat> commands = new TreeMap<>();
        end.commands().forEach((command, stat) -> {
            CommandStat delta = stat.minus(start.commands().getOrDefault(command, new CommandStat(0, 0)));
            if (delta.calls() > 0) {
                commands.put(command, delta);
            }
        });
        return new Use(
                wall,
                (end.jvm() - start.jvm()) / wall,
                byMaster.values().stream().mapToDouble(Double::doubleValue).sum(),
                java.util.Collections.unmodifiableMap(byMaster),
                Math.max(0, end.postgres() - start.postgres()) / wall,
                Math.max(0, end.privatePostgres() - start.privatePostgres()) / wall,
                (end.machineBusy() - start.machineBusy()) / wall,
                java.util.Collections.unmodifiableMap(commands));
    }

    /**
     * The {@code cmdstat_<name>:calls=N,usec=N,...} lines of {@code INFO commandstats}, by lower-case command name
     * (subcommands as Redis names them, {@code client|setname}); other lines are skipped. Pure.
     */
    static Map<String, CommandStat> parseCommandStats(String info) {
        Map<String, CommandStat> stats = new TreeMap<>();
        for (String line : info.lines().toList()) {
            int colon = line.indexOf(':');
            if (!line.startsWith("cmdstat_") || colon < 0) {
                continue;
            }
            long calls = -1;
            long usec = -1;
            for (String field : line.substring(colon + 1).strip().split(",")) {
                int eq = field.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String name = field.substring(0, eq);
                if (name.equals("calls")) {
                    calls = Long.parseLong(field.substring(eq + 1));
                } else if (name.equals("usec")) {
                    usec = Long.parseLong(field.substring(eq + 1));
                }
            }
            if (calls >= 0 && usec >= 0) {
                stats.put(
                        line.substring("cmdstat_".length(), colon).toLowerCase(java.util.Locale.ROOT),
                        new CommandStat(calls, usec));
            }
        }
        return stats;
    }

    /**
     * CPU seconds of process {@code root} and its children (a postmaster's backends, WAL writer, checkpointer and the
     * rest: PostgreSQL forks them all from the postmaster); exited children drop out, as in {@link #postgresCpu()}.
     */
    static double processTreeSeconds(long root) {
        return sumOverProcesses(p -> {
            String[] f = statFields(p);
            if (f == null) {
                return 0;
            }
            long pid = Long.parseLong(p.getFileName().toString());
            // f[1] is the parent's PID (field 4 of /proc/<pid>/stat).
            return pid == root || Long.parseLong(f[1]) == root ? cpuSeconds(f) : 0;
        });
    }

    /** The fields after {@code pid (comm) } of {@code /proc/<pid>/stat}, or null when the process is gone. */
    private static String[] statFields(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 ? null : stat.substring(close + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** utime + stime (fields 14 and 15; f[0] is field 3, the state) in seconds. */
    private static double cpuSeconds(String[] f) {
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    }

    /** {@code used_cpu_user + used_cpu_sys} of one Redis server, in CPU seconds since it started. */
    private static double redisCpu(RedisCommands<String, String> redis) {
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
        return sumOverProcesses(CpuMeter::postgresSeconds);
    }

    /** {@code seconds} summed over every process directory of {@code /proc}; 0 where {@code /proc} is absent. */
    private static double sumOverProcesses(java.util.function.ToDoubleFunction<Path> seconds) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .mapToDouble(seconds)
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
