package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code ops/cistern init} on a Redis Cluster: the library on every master, each partition's keys on its master. */
class InitClusterIT {
    private final PrivateRedisCluster cluster = PrivateRedisCluster.shared();
    private final String prefix = PrivateRedisCluster.newPrefix("InitClusterIT");
    private final KeyLayout layout = new KeyLayout(prefix);
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        database = TestDatabase.create("InitClusterIT");
    }

    @AfterEach
    void tearDown() {
        database.close();
        cluster.deleteKeys(prefix);
    }

    @Test
    void init_loadsTheLibraryOnEveryMaster_andSeedsEachPartitionOnItsMaster() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = cli(out, err, "init", "--partitions", "16");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Redis Cluster: 3 masters; partitions per master: ");
        assertThat(cluster.masters())
                .hasSize(3)
                .allSatisfy(master -> assertThat(cluster.<Integer>onNode(master, FunctionLibrary::installedRevision))
                        .as("library on master %d", master.port())
                        .isEqualTo(FunctionLibrary.REVISION));
        for (int p = 0; p < 16; p++) {
            String meta = layout.meta(p);
            PrivateRedisCluster.Node master = cluster.masterOfKey(meta);
            assertThat(cluster.<String>onNode(master, c -> c.hget(meta, MetaFields.PARTITIONS)))
                    .as("partition %d's meta on master %d", p, master.port())
                    .isEqualTo("16");
        }
        assertThat(cluster.<String>onNode(
                        cluster.masterOfKey(layout.config()), c -> c.hget(layout.config(), ConfigFields.PARTITIONS)))
                .isEqualTo("16");
        assertThat(cluster.<Boolean>onNode(
                        cluster.masterOfKey(layout.registry()), c -> c.exists(layout.registry()) == 1))
                .isTrue();

        assertThat(cli(new StringWriter(), err, "init"))
                .as("init again: " + err)
                .isZero();
    }

    @Test
    void init_warnsWhenThePartitionsFallUnevenly_andSuggestsACount() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int masters = cluster.masters().size();
        int uneven = java.util.stream.IntStream.rangeClosed(masters, 64)
                .filter(n -> !spread(n).even())
                .findFirst()
                .orElseThrow();

        assertThat(cli(out, err, "init", "--partitions", Integer.toString(uneven)))
                .as(err.toString())
                .isZero();

        assertThat(out.toString())
                .contains("WARNING: the " + uneven + " partitions fall unevenly on the 3 masters")
                .containsPattern("; \\d+ partitions would fall evenly");
    }

    private PartitionSpread spread(int partitions) {
        java.util.List<PrivateRedisCluster.Node> masters = cluster.masters();
        return PartitionSpread.of(
                partitions,
                masters.stream().map(m -> "127.0.0.1:" + m.port()).toList(),
                p -> masters.stream()
                        .filter(m -> m.serves(io.lettuce.core.cluster.SlotHash.getSlot(layout.meta(p))))
                        .map(m -> "127.0.0.1:" + m.port())
                        .findFirst()
                        .orElseThrow());
    }

    private int cli(StringWriter out, StringWriter err, String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--redis-url";
        all[args.length + 1] = cluster.url();
        all[args.length + 2] = "--database-url";
        all[args.length + 3] = database.jdbcUrl();
        all[args.length + 4] = "--prefix";
        all[args.length + 5] = prefix;
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all);
    }
}
