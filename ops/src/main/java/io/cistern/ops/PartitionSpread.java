package io.cistern.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * How the partitions of a Redis Cluster fall on its masters. Each partition lives in the slot of its hash tag {@code
 * {p}}, so which master drains and buffers it follows from the cluster's slot map; with {@code redis-cli --cluster
 * create}'s even slot ranges, 16 partitions fall 6/6/4 on 3 masters while 64 fall 21/22/21. Pure: the caller says which
 * master serves partition {@code p} ({@code masterOf}), from the real slot map.
 *
 * @param counts the number of partitions on each master, every master included (0 for one that serves none)
 */
record PartitionSpread(Map<String, Integer> counts) {
    /** A master may carry this much more or less than an even share before the spread counts as uneven. */
    static final double TOLERANCE = 0.10;

    PartitionSpread {
        counts = Map.copyOf(counts);
    }

    static PartitionSpread of(int partitions, List<String> masters, IntFunction<String> masterOf) {
        if (masters.isEmpty()) {
            throw new IllegalArgumentException("a partition spread needs at least one master");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        masters.forEach(m -> counts.put(m, 0));
        for (int p = 0; p < partitions; p++) {
            counts.merge(masterOf.apply(p), 1, Integer::sum);
        }
        return new PartitionSpread(counts);
    }

    int partitions() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Whether every master carries its even share of the partitions within {@link #TOLERANCE}. */
    boolean even() {
        double share = (double) partitions() / counts.size();
        return counts.values().stream()
                .allMatch(c -> c <= Math.max(Math.ceil(share), share * (1 + TOLERANCE))
                        && c >= Math.min(Math.floor(share), share * (1 - TOLERANCE)));
    }

    /**
     * The smallest partition count from {@code from} up to {@code upTo} whose partitions fall evenly on {@code masters}
     * in the same slot map; empty when none does.
     */
    static OptionalInt suggest(int from, int upTo, List<String> masters, IntFunction<String> masterOf) {
        for (int n = Math.max(1, from); n <= upTo; n++) {
            if (of(n, masters, masterOf).even()) {
                return OptionalInt.of(n);
            }
        }
        return OptionalInt.empty();
    }

    /** {@code "a 6, b 6, c 4"}, busiest first. */
    String describe() {
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(
                Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        return entries.stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}
