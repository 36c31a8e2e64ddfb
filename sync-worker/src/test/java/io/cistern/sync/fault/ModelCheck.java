package io.cistern.sync.fault;

import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.assertj.core.api.SoftAssertions;

/**
 * What the model-based fault tests read to judge a run: whether every partition is drained, PostgreSQL against the
 * producers' model row by row, the dead letters, the applied watermarks and version floors. Redis is reached through
 * keyed commands, so the same checks run on a single server, a Sentinel-managed master and a Redis Cluster.
 */
final class ModelCheck {
    private final DataSource dataSource;
    private final Supplier<RedisClusterCommands<String, String>> redis;
    private final KeyLayout layout;
    private final int partitions;

    ModelCheck(
            DataSource dataSource,
            Supplier<RedisClusterCommands<String, String>> redis,
            KeyLayout layout,
            int partitions) {
        this.dataSource = dataSource;
        this.redis = redis;
        this.layout = layout;
        this.partitions = partitions;
    }

    /** The test's own small pool on {@code postgres}'s database {@code cistern}, for setup and the checks. */
    static HikariDataSource testPool(PrivatePostgres postgres, String poolName) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl("cistern") + "?user=postgres&ApplicationName=cistern-fault-test");
        config.setPoolName(poolName);
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(5_000);
        return new HikariDataSource(config);
    }

    int partitions() {
        return partitions;
    }

    /** Waits up to {@code timeout} for every stream to be drained; returns what is still not drained. */
    List<String> drained(Duration timeout) {
        List<String> last = new ArrayList<>(List.of("not checked yet"));
        try {
            await("every stream drained into PostgreSQL")
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> {
                        List<String> now = undrainedPartitions();
                        last.clear();
                        last.addAll(now);
                        return now.isEmpty();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // Reported with the other findings.
        }
        return last;
    }

    /** Partitions whose stream has entries past the applied watermark, or entries read and not acknowledged. */
    private List<String> undrainedPartitions() throws SQLException {
        Map<Integer, String> watermarks = watermarks();
        List<String> undrained = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            String last = lastGeneratedId(p);
            long pending = redis.get().xpending(layout.stream(p), "sync").getCount();
            if (compareIds(last, watermarks.get(p)) > 0 || pending > 0) {
                undrained.add("partition " + p + ": last entry " + last + ", watermark " + watermarks.get(p)
                        + ", pending " + pending);
            }
        }
        return undrained;
    }

    /** Whether any stream is ahead of its applied watermark (false when that cannot be read now). */
    boolean entriesInFlight() {
        try {
            Map<Integer, String> watermarks = watermarks();
            for (int p = 0; p < partitions; p++) {
                if (compareIds(lastGeneratedId(p), watermarks.get(p)) > 0) {
                    return true;
                }
            }
            return false;
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The end of a run: every stream drained, PostgreSQL equal to the model row by row, and only patches of absent
     * records dead-lettered (never a transient failure). Soft: a failure shows everything.
     */
    void assertEndState(SoftAssertions softly, List<Producer> producers, List<String> undrained, String run)
            throws SQLException {
        softly.assertThat(undrained)
                .as("partitions not drained within 60 s after the faults (%s)", run)
                .isEmpty();
        softly.assertThat(mismatches(producers))
                .as("rows that differ from the model (%s)", run)
                .isEmpty();
        Map<String, String> deadLetters = deadLetters();
        Set<String> expected = new HashSet<>();
        Set<String> possible = new HashSet<>();
        producers.forEach(p -> {
            expected.addAll(p.expectedDeadLetters());
            possible.addAll(p.possibleDeadLetters());
        });
        softly.assertThat(deadLetters.values()).as("dead-letter reasons").allMatch("record absent"::equals);
        softly.assertThat(deadLetters.keySet()).as("dead-lettered entries").containsAll(expected);
        Set<String> unexplained = new HashSet<>(deadLetters.keySet());
        unexplained.removeAll(expected);
        unexplained.removeAll(possible);
        softly.assertThat(unexplained)
                .as("dead letters the model does not explain")
                .isEmpty();
    }

    private List<String> mismatches(List<Producer> producers) throws SQLException {
        Map<String, Map<String, String>> rows = rows();
        List<String> mismatches = new ArrayList<>();
        Set<String> modelled = new HashSet<>();
        for (Producer producer : producers) {
            for (Producer.Key key : producer.keys()) {
                modelled.add(key.text());
                Map<String, String> row = rows.get(key.text());
                Producer.Expected expected = producer.expected(key).orElse(null);
                String problem = null;
                if (expected == null || !expected.present()) {
                    if (row != null) {
                        problem = expected == null ? "never written, but in PostgreSQL" : "deleted, but in PostgreSQL";
                    }
                } else if (row == null) {
                    problem = "missing from PostgreSQL";
                } else {
                    Map<String, String> actual = new LinkedHashMap<>(row);
                    String version = actual.remove("cistern_version");
                    if (!Long.toString(expected.version()).equals(version)) {
                        problem = "version " + version + ", expected " + expected.version();
                    } else if (!actual.equals(expected.columns())) {
                        problem = "columns differ";
                    }
                }
                if (problem != null && mismatches.size() < 20) {
                    mismatches.add(key.table() + " " + key.text() + ": " + problem + "; expected " + expected + ", row "
                            + row + "; acknowledged writes: " + producer.history(key));
                }
            }
        }
        for (String k : rows.keySet()) {
            if (!modelled.contains(k)) {
                mismatches.add("row " + k + " belongs to no producer's key");
            }
        }
        return mismatches;
    }

    /** Every row of both tables by {@link Producer.Key#text()}: its columns as PostgreSQL prints them. */
    Map<String, Map<String, String>> rows() throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        rows.putAll(
                rows(
                        "SELECT document_uuid::text AS k, filename, status, page_count, cistern_version FROM source_documents"));
        rows.putAll(rows("SELECT document_uuid || '/' || entity_uuid AS k, entity_type, value, page_number,"
                + " cistern_version FROM entities"));
        return rows;
    }

    private Map<String, Map<String, String>> rows(String query) throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 2; i <= columns; i++) {
                    row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                }
                rows.put(rs.getString(1), row);
            }
        }
        return rows;
    }

    /** Entry ID to reason, over every partition's dead-letter stream. */
    private Map<String, String> deadLetters() {
        Map<String, String> byEntry = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            for (StreamMessage<String, String> m : redis.get().xrange(layout.deadLetters(p), Range.create("-", "+"))) {
                byEntry.put(m.getBody().get("entry_id"), m.getBody().get("reason"));
            }
        }
        return byEntry;
    }

    /** {@code cistern_partition.applied_watermark} of every partition. */
    Map<Integer, String> watermarks() throws SQLException {
        Map<Integer, String> watermarks = new HashMap<>();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT partition, applied_watermark FROM cistern_partition")) {
            while (rs.next()) {
                watermarks.put(rs.getInt(1), rs.getString(2));
            }
        }
        return watermarks;
    }

    /** {@code cistern_partition.version_floor}: the highest version applied to the partition. */
    long versionFloor(int partition) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT version_floor FROM cistern_partition WHERE partition = " + partition)) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the version floor of partition " + partition, e);
        }
    }

    /** The partition whose applied versions are highest: the one whose history has the most to lose. */
    int busiestPartition() {
        int busiest = 0;
        long most = -1;
        for (int p = 0; p < partitions; p++) {
            long floor = versionFloor(p);
            if (floor > most) {
                most = floor;
                busiest = p;
            }
        }
        return busiest;
    }

    /** The live worker holding the most leases (a fault on an idle worker would prove little). */
    ForkedWorker busiestWorker(List<ForkedWorker> workers, Random random) {
        ForkedWorker busiest = workers.get(random.nextInt(workers.size()));
        long most = -1;
        for (ForkedWorker w : workers) {
            long held = partitionsHeldBy(w.workerId()).size();
            if (held > most) {
                most = held;
                busiest = w;
            }
        }
        return busiest;
    }

    /** The partitions whose lease {@code workerId} holds. */
    List<Integer> partitionsHeldBy(String workerId) {
        List<Integer> held = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (workerId.equals(redis.get().get(layout.lease(p)))) {
                held.add(p);
            }
        }
        return held;
    }

    String lastGeneratedId(int partition) {
        if (redis.get().exists(layout.stream(partition)) == 0) {
            return "0-0";
        }
        List<Object> info = redis.get().xinfoStream(layout.stream(partition));
        for (int i = 0; i + 1 < info.size(); i += 2) {
            if ("last-generated-id".equals(String.valueOf(info.get(i)))) {
                return String.valueOf(info.get(i + 1));
            }
        }
        throw new IllegalStateException("XINFO STREAM without last-generated-id: " + info);
    }

    static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int ms = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return ms != 0 ? ms : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
    }
}
