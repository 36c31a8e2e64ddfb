package io.cistern.ops.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ConnectionBudgetTest {
    private static final String HERE = "db.internal:5432/app";
    /** max_connections 23 - 3 reserved: 20 available. */
    private static final ConnectionBudget.Server SERVER = new ConnectionBudget.Server(23, 3, 5);

    @Test
    void announcedPools_areSummedPerComponent_plusOneForDoctor() {
        Check check = judge(announced(pool("sync-worker", 4), pool("sync-worker", 4), pool("read-proxy", 1)));

        assertThat(check.status()).isEqualTo(Check.Status.OK);
        assertThat(check.detail())
                .isEqualTo("announced: 1 read-proxy pool of 1, 2 sync-worker pools of 4 = 9; + doctor/init 1 = 10 of 20"
                        + " connections (max_connections 23 - 3 reserved)");
    }

    @Test
    void justOverHalf_warns_andNamesTheFixes() {
        Check check = judge(announced(pool("sync-worker", 6), pool("read-proxy", 4)));

        assertThat(check.status()).isEqualTo(Check.Status.WARN);
        assertThat(check.detail()).contains("= 11 of 20").endsWith(": more than half");
        assertThat(check.fix())
                .contains("rolling deploy")
                .contains(
                        "lower DB_POOL_SIZE on the sync-worker processes (6 connections) or DB_POOL_SIZE on the read-proxy processes"
                                + " (4 connections)")
                .contains("raise max_connections to at least 25")
                .contains("PgBouncer");
    }

    @Test
    void exactlyWhatTheServerAdmits_passesWithAWarning_oneMoreFails() {
        assertThat(judge(announced(pool("sync-worker", 19))).status()).isEqualTo(Check.Status.WARN);

        Check over = judge(announced(pool("sync-worker", 12), pool("read-proxy", 8)));

        assertThat(over.status()).isEqualTo(Check.Status.FAIL);
        assertThat(over.detail()).contains("= 21 of 20 connections");
        assertThat(over.fix())
                .startsWith(
                        "lower DB_POOL_SIZE on the sync-worker processes (12 connections) or DB_POOL_SIZE on the read-proxy"
                                + " processes (8 connections)")
                .contains("raise max_connections to at least 24")
                .contains("connection pooler (PgBouncer, RDS Proxy)");
    }

    @Test
    void theFix_namesEachPoolBySettingThatSizesIt_andLeavesTheOneConnectionPoolsOut() {
        Check over = judge(announced(
                pool("sync-worker", 10),
                pool(DatabasePool.APPLICATION, 10),
                pool(DatabasePool.APPLICATION, 5),
                pool(DatabasePool.STATUS, 1),
                pool(DatabasePool.DASHBOARD, 1)));

        assertThat(over.detail())
                .startsWith("announced: 2 application pools of 10/5, 1 dashboard pool of 1, 1 status pool of 1,"
                        + " 1 sync-worker pool of 10 = 27;");
        assertThat(over.fix())
                .startsWith("lower spring.datasource.hikari.maximum-pool-size on the applications (15 connections) or"
                        + " DB_POOL_SIZE on the sync-worker processes (10 connections), raise max_connections");
    }

    @Test
    void aLargerPlan_isCounted_aSmallerOneNeverHidesARunningProcess() {
        Optional<List<PoolRegistry.Announcement>> running = announced(pool("sync-worker", 4), pool("read-proxy", 4));

        Check bigPlan = ConnectionBudget.judge(running, HERE, 4, OptionalInt.of(6), false, SERVER);
        Check smallPlan = ConnectionBudget.judge(running, HERE, 4, OptionalInt.of(1), false, SERVER);

        assertThat(bigPlan.detail())
                .contains("planned (--database-clients 6): 6 x DB_POOL_SIZE 4 = 24, counted as larger")
                .contains("= 25 of 20");
        assertThat(bigPlan.status()).isEqualTo(Check.Status.FAIL);
        assertThat(bigPlan.fix()).startsWith("lower DB_POOL_SIZE (now 4) on the Cistern processes");
        assertThat(smallPlan.detail()).doesNotContain("planned").contains("= 8; + doctor/init 1 = 9 of 20");
    }

    @Test
    void nothingAnnounced_assumesTwoProcesses() {
        Check check = ConnectionBudget.judge(announced(), HERE, 5, OptionalInt.empty(), false, SERVER);

        assertThat(check.detail())
                .startsWith("no Cistern process announced a pool to db.internal:5432; assumed (--database-clients"
                        + " default 2): 2 x DB_POOL_SIZE 5 = 10, counted as larger; + doctor/init 1 = 11 of 20");
    }

    @Test
    void redisUnreadable_saysSo_andCountsThePlan() {
        Check check = ConnectionBudget.judge(Optional.empty(), HERE, 4, OptionalInt.of(3), false, SERVER);

        assertThat(check.detail())
                .startsWith("announced pools unknown (Redis could not be read); planned (--database-clients 3): 3 x"
                        + " DB_POOL_SIZE 4 = 12");
    }

    @Test
    void poolsOfOtherServers_areNamed_notCounted_butOtherDatabasesOfTheSameServerAre() {
        Check check = judge(announced(
                pool("sync-worker", 4),
                new DatabasePool("9@h", "b", "read-proxy", 2, "db.internal:5432/reports"),
                new DatabasePool("9@h", "c", "sync-worker", 7, "other:5432/app")));

        assertThat(check.detail())
                .contains("announced: 1 read-proxy pool of 2, 1 sync-worker pool of 4 = 6")
                .contains("not counted, announced for other servers: other:5432/app (7)");
    }

    @Test
    void anUnreadableAnnouncement_isReported_notCounted() {
        Check check = judge(Optional.of(List.of(
                announcement(pool("sync-worker", 4)),
                new PoolRegistry.Announcement(
                        "{\"from\":\"a later release\"}", Optional.empty(), Duration.ofSeconds(9)))));

        assertThat(check.detail()).contains("= 4;").contains("1 announcements from another Cistern release not read");
    }

    @Test
    void behindAPooler_namesTheSumForThePooler_andJudgesTheServerByItsConnectionsInUse() {
        Optional<List<PoolRegistry.Announcement>> many = announced(pool("sync-worker", 40), pool("read-proxy", 40));

        Check quiet = ConnectionBudget.judge(many, HERE, 4, OptionalInt.empty(), true, SERVER);
        Check busy = ConnectionBudget.judge(
                many, HERE, 4, OptionalInt.empty(), true, new ConnectionBudget.Server(23, 3, 11));

        assertThat(quiet.status()).isEqualTo(Check.Status.OK);
        assertThat(quiet.detail())
                .contains("= 81 connections through the pooler, whose max_client_conn must admit them")
                .contains("cannot read the pooler's limits")
                .endsWith("The server holds 5 of 20 connections (max_connections 23 - 3 reserved) now");
        assertThat(busy.status()).isEqualTo(Check.Status.WARN);
        assertThat(busy.fix()).contains("default_pool_size");
    }

    private static Check judge(Optional<List<PoolRegistry.Announcement>> announced) {
        return ConnectionBudget.judge(announced, HERE, 4, OptionalInt.empty(), false, SERVER);
    }

    private static int instance;

    private static DatabasePool pool(String component, int size) {
        return new DatabasePool("1@host", "i" + instance++, component, size, HERE);
    }

    private static Optional<List<PoolRegistry.Announcement>> announced(DatabasePool... pools) {
        return Optional.of(
                Arrays.stream(pools).map(ConnectionBudgetTest::announcement).toList());
    }

    private static PoolRegistry.Announcement announcement(DatabasePool pool) {
        return new PoolRegistry.Announcement(pool.encode(), Optional.of(pool), Duration.ofSeconds(9));
    }
}
