package io.cistern.ops.doctor;

import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The {@code postgres.connections} check, pure: adds up the PostgreSQL pools the live Cistern processes announced in
 * Redis ({@link PoolRegistry}) that connect to the server doctor checks, plus one connection for doctor or {@code
 * init}, and holds the sum against {@code max_connections - superuser_reserved_connections}.
 *
 * <p>What is counted:
 *
 * <ul>
 *   <li>Every announced pool whose configured hosts ({@code host:port}) are the ones doctor connects to, whatever its
 *       database: {@code max_connections} is the server's, not a database's. A pool is counted at its maximum size,
 *       the most it may open. Pools announced for other servers are named and left out.
 *   <li>The plan, when the operator gives one ({@code --database-clients N}): {@code N x DB_POOL_SIZE}, for processes
 *       not started yet. The larger of the announced sum and the plan is counted, so a plan never hides a running
 *       process and a deployment can be sized before it starts.
 *   <li>With no announcement and no plan (nothing runs yet, or Redis could not be read), the plan defaults to {@link
 *       #DEFAULT_PLANNED_CLIENTS} processes, what a minimal deployment (one sync worker, one read proxy) runs.
 * </ul>
 *
 * <p>Behind a connection pooler (PgBouncer, RDS Proxy) the pools connect to the pooler, not to the server: their sum is
 * what the pooler's client limit ({@code max_client_conn}) must admit, and the server sees only the pooler's own server
 * connections. Doctor cannot read the pooler's settings, so it says so, names the sum to compare with, and holds the
 * server's connections in use right now against {@code max_connections} instead.
 *
 * <p>Thresholds: fails above what the server admits, warns above half of it (other applications and a rolling deploy,
 * which runs old and new processes side by side, need the rest).
 */
final class ConnectionBudget {
    static final String NAME = "postgres.connections";
    /** The processes assumed when none announced a pool and no plan was given. */
    static final int DEFAULT_PLANNED_CLIENTS = 2;
    /** Components whose pools have a fixed size: no setting to lower. */
    private static final Set<String> FIXED = Set.of(DatabasePool.STATUS, DatabasePool.DASHBOARD);

    private ConnectionBudget() {}

    /**
     * What the server admits and holds.
     *
     * @param maxConnections {@code max_connections}
     * @param reserved {@code superuser_reserved_connections}
     * @param inUse client connections the server holds now ({@code pg_stat_activity})
     */
    record Server(int maxConnections, int reserved, int inUse) {
        int available() {
            return maxConnections - reserved;
        }

        String describe() {
            return available() + " connections (max_connections " + maxConnections + " - " + reserved + " reserved)";
        }
    }

    /**
     * The check's verdict.
     *
     * @param announced the live announcements, or empty when Redis could not be read
     * @param database where doctor connects, in {@link DatabasePool#database} form
     * @param poolSize doctor's own {@code DB_POOL_SIZE}, the size a planned process is assumed to use
     * @param planned {@code --database-clients}, when given
     * @param behindPooler whether the pools connect through a pooler ({@code --behind-pooler})
     */
    static Check judge(
            Optional<List<PoolRegistry.Announcement>> announced,
            String database,
            int poolSize,
            OptionalInt planned,
            boolean behindPooler,
            Server server) {
        String here = hosts(database);
        List<DatabasePool> counted = new ArrayList<>();
        Map<String, Integer> elsewhere = new TreeMap<>();
        int unreadable = 0;
        for (PoolRegistry.Announcement a : announced.orElse(List.of())) {
            if (a.pool().isEmpty()) {
                unreadable++;
            } else if (hosts(a.pool().get().database()).equals(here)) {
                counted.add(a.pool().get());
            } else {
                elsewhere.merge(a.pool().get().database(), a.pool().get().maxSize(), Integer::sum);
            }
        }
        int announcedSum = counted.stream().mapToInt(DatabasePool::maxSize).sum();
        int plannedClients = planned.orElse(counted.isEmpty() ? DEFAULT_PLANNED_CLIENTS : 0);
        int plannedSum = plannedClients * poolSize;
        boolean byPlan = plannedSum > announcedSum;
        int pools = Math.max(announcedSum, plannedSum);
        int needed = pools + 1;

        StringBuilder detail = new StringBuilder();
        if (announced.isEmpty()) {
            detail.append("announced pools unknown (Redis could not be read); ");
        } else if (counted.isEmpty()) {
            detail.append("no Cistern process announced a pool to ")
                    .append(here)
                    .append("; ");
        } else {
            detail.append("announced: ")
                    .append(byComponent(counted))
                    .append(" = ")
                    .append(announcedSum);
            detail.append("; ");
        }
        if (byPlan) {
            detail.append(planned.isPresent() ? "planned (--database-clients " : "assumed (--database-clients default ")
                    .append(plannedClients)
                    .append("): ")
                    .append(plannedClients)
                    .append(" x DB_POOL_SIZE ")
                    .append(poolSize)
                    .append(" = ")
                    .append(plannedSum)
                    .append(", counted as larger; ");
        }
        detail.append("+ doctor/init 1 = ").append(needed);
        if (!elsewhere.isEmpty()) {
            detail.append("; not counted, announced for other servers: ")
                    .append(elsewhere.entrySet().stream()
                            .map(e -> e.getKey() + " (" + e.getValue() + ")")
                            .collect(Collectors.joining(", ")));
        }
        if (unreadable > 0) {
            detail.append("; ").append(unreadable).append(" announcements from another Cistern release not read");
        }

        if (behindPooler) {
            String through = detail + " connections through the pooler, whose max_client_conn must admit them;"
                    + " doctor cannot read the pooler's limits. The server holds " + server.inUse() + " of "
                    + server.describe() + " now";
            if (server.inUse() * 2 > server.available()) {
                return Check.warn(
                        NAME,
                        through + ": more than half",
                        "lower the pooler's server pool size (PgBouncer default_pool_size, RDS Proxy"
                                + " MaxConnectionsPercent) or raise max_connections");
            }
            return Check.ok(NAME, through);
        }
        String of = detail + " of " + server.describe();
        if (needed > server.available()) {
            return Check.fail(NAME, of, fix(counted, byPlan, poolSize, needed + server.reserved()));
        }
        if (needed * 2 > server.available()) {
            return Check.warn(
                    NAME,
                    of + ": more than half",
                    "leave room for other applications and for a rolling deploy that runs old and new side by side: "
                            + fix(counted, byPlan, poolSize, 2 * needed + server.reserved()));
        }
        return Check.ok(NAME, of);
    }

    /**
     * Names the pools to shrink, the biggest first, each by the setting that sizes it, then the other two ways out. The
     * one-connection status and dashboard pools have nothing to lower.
     */
    private static String fix(List<DatabasePool> counted, boolean byPlan, int poolSize, int maxConnections) {
        Map<String, Integer> sums = new TreeMap<>();
        counted.forEach(p -> sums.merge(p.component(), p.maxSize(), Integer::sum));
        List<String> lowerable = byPlan
                ? List.of()
                : sums.entrySet().stream()
                        .filter(e -> !FIXED.contains(e.getKey()))
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .map(e -> e.getKey().equals(DatabasePool.APPLICATION)
                                ? "spring.datasource.hikari.maximum-pool-size on the applications (" + e.getValue()
                                        + " connections)"
                                : "DB_POOL_SIZE on the " + e.getKey() + " processes (" + e.getValue() + " connections)")
                        .toList();
        String lower = lowerable.isEmpty()
                ? "lower DB_POOL_SIZE (now " + poolSize + ") on the Cistern processes"
                : "lower " + String.join(" or ", lowerable);
        return lower + ", raise max_connections to at least " + maxConnections
                + ", or put a connection pooler (PgBouncer, RDS Proxy) in front of PostgreSQL and run doctor with"
                + " --behind-pooler";
    }

    /** "2 sync-worker pools of 10, 1 read-proxy pool of 5", components in name order. */
    private static String byComponent(List<DatabasePool> pools) {
        Map<String, List<DatabasePool>> by = new TreeMap<>();
        pools.forEach(
                p -> by.computeIfAbsent(p.component(), k -> new ArrayList<>()).add(p));
        return by.entrySet().stream()
                .map(e -> {
                    int n = e.getValue().size();
                    String sizes = e.getValue().stream()
                            .map(p -> Integer.toString(p.maxSize()))
                            .distinct()
                            .collect(Collectors.joining("/"));
                    return n + " " + e.getKey() + (n == 1 ? " pool" : " pools") + " of " + sizes;
                })
                .collect(Collectors.joining(", "));
    }

    /** The {@code host:port} part of a pool's database: what {@code max_connections} belongs to. */
    private static String hosts(String database) {
        int slash = database.indexOf('/'); // a host has none, a database name may
        return slash < 0 ? database : database.substring(0, slash);
    }
}
