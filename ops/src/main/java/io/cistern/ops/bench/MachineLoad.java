package io.cistern.ops.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine a run measured on: cores (the machine's, from {@code /proc/stat}, not the JVM's view, which {@code bench
 * --pin} narrows to the JVM's own CPUs; elsewhere the JVM's view), the one-minute load average ({@code /proc/loadavg}, or the JVM's view elsewhere)
 * and the JDK. Results from a loaded machine are not comparable with an idle one's, so every report carries the load
 * before and after.
 */
final class MachineLoad {
    private MachineLoad() {}

    record Snapshot(int cores, double loadAverage, String java) {}

    static Snapshot take() {
        return new Snapshot(machineCores(), loadAverage(), Runtime.version().toString());
    }

    static String describe(Snapshot before, Snapshot after) {
        return String.format(
                Locale.ROOT,
                "%d cores, load average %.2f before, %.2f after; Java %s",
                after.cores(),
                before.loadAverage(),
                after.loadAverage(),
                after.java());
    }

    /** The {@code cpuN} lines of {@code /proc/stat}: every online CPU, whatever this process may run on. */
    private static int machineCores() {
        try {
            int n = (int) Files.readAllLines(Path.of("/proc/stat")).stream()
                    .filter(l -> l.matches("cpu\\d+ .*"))
                    .count();
            return n > 0 ? n : Runtime.getRuntime().availableProcessors();
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(
                    Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    .getSystemLoadAverage();
        }
    }
}
