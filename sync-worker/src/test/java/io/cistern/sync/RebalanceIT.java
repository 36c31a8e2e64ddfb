package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Live workers share the 16 partitions evenly, and take over the partitions of a worker that leaves or dies. */
class RebalanceIT {
    private static final int PARTITIONS = 16;
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration RENEW = Duration.ofMillis(250);
    private static SyncFixture fx;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(RebalanceIT.class.getSimpleName(), PARTITIONS);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static SyncWorker worker(String name) {
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .workerId(name + "-" + System.nanoTime())
                .linger(Duration.ofMillis(10))
                .leaseTime(LEASE)
                .renewInterval(RENEW)
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();
        return new SyncWorker(settings, fx.registry, fx.dataSource, fx.client());
    }

    private static void assertNoPartitionOwnedByBoth(SyncWorker a, SyncWorker b) {
        Set<Integer> both = new HashSet<>(a.ownedPartitions());
        both.retainAll(b.ownedPartitions());
        assertThat(both).as("partitions owned by both workers").isEmpty();
    }

    @Test
    void givenOneWorkerOwningAllSixteen_whenASecondJoins_theySettleAtEightEach_andTheSurvivorOfACloseTakesAll() {
        try (SyncWorker first = worker("first")) {
            first.start();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> first.ownedPartitions().size() == PARTITIONS);

            try (SyncWorker second = worker("second")) {
                second.start();

                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(first.ownedPartitions()).hasSize(8);
                    assertThat(second.ownedPartitions()).hasSize(8);
                });
                assertNoPartitionOwnedByBoth(first, second);
            }

            // close() leaves the live workers and releases its leases: no lease has to expire.
            await().atMost(LEASE.plus(Duration.ofSeconds(1)))
                    .untilAsserted(() -> assertThat(first.ownedPartitions()).hasSize(PARTITIONS));
        }
    }

    @Test
    void
            givenTwoWorkersAtEightEach_whenOneStopsRenewingWithoutReleasing_theSurvivorHasAllSixteenWithinTheLeasePlusAMargin() {
        try (SyncWorker survivor = worker("survivor")) {
            SyncWorker frozen = worker("frozen");
            try {
                survivor.start();
                frozen.start();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(survivor.ownedPartitions()).hasSize(8);
                    assertThat(frozen.ownedPartitions()).hasSize(8);
                });
                Set<Integer> frozenPartitions = frozen.ownedPartitions();
                assertThat(fx.commands()
                                .get(fx.layout.lease(frozenPartitions.iterator().next())))
                        .startsWith("frozen-");

                Instant haltedAt = Instant.now();
                frozen.halt();

                // Its leases and heartbeat expire after one lease time; then one renew round takes them.
                await().atMost(LEASE.plus(RENEW.multipliedBy(2)).plus(Duration.ofSeconds(1)))
                        .untilAsserted(
                                () -> assertThat(survivor.ownedPartitions()).hasSize(PARTITIONS));
                assertThat(Duration.between(haltedAt, Instant.now())).isGreaterThanOrEqualTo(LEASE.minusMillis(300));
            } finally {
                frozen.close();
            }
        }
    }

    /**
     * Taking a partition waits for its fencing token, which waits for the row lock of a previous owner's open
     * transaction. A round that takes many partitions behind such locks must renew the leases it already holds as it
     * goes: seven grants held up 700 ms each keep the round busy for about five seconds, three lease times, and the
     * partition taken first must still be this worker's with the token it was granted.
     */
    @Test
    void givenSlowFencingGrants_theLeasesTakenFirstAreRenewedWhileTheRoundTakesTheRest() throws Exception {
        List<Connection> lockers = new ArrayList<>();
        ScheduledExecutorService releases = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int p = 1; p <= 7; p++) {
                Connection c = fx.db.connect();
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT 1 FROM cistern_partition WHERE partition = " + p + " FOR UPDATE");
                }
                lockers.add(c);
            }
            try (SyncWorker worker = worker("slow-grants")) {
                worker.start();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> worker.ownedPartitions().contains(0));
                String firstToken = fx.scalar("SELECT fence_token FROM cistern_partition WHERE partition = 0");
                Instant roundStarted = Instant.now();
                // The grants are held up by releasing the locks one by one, 700 ms apart.
                for (int i = 0; i < lockers.size(); i++) {
                    Connection c = lockers.get(i);
                    releases.schedule(
                            () -> {
                                c.commit();
                                return null;
                            },
                            700L * (i + 1),
                            TimeUnit.MILLISECONDS);
                }
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> worker.ownedPartitions().size() == PARTITIONS);
                assertThat(Duration.between(roundStarted, Instant.now()))
                        .as("the round that took them outlasted the lease")
                        .isGreaterThan(LEASE.multipliedBy(2));
                await("owned after the slow round, through two renewals")
                        .during(RENEW.multipliedBy(2))
                        .atMost(RENEW.multipliedBy(3))
                        .until(() -> worker.ownedPartitions().size() == PARTITIONS);

                assertThat(fx.scalar("SELECT fence_token FROM cistern_partition WHERE partition = 0"))
                        .as("partition 0's token: never lost and taken again")
                        .isEqualTo(firstToken);
                assertThat(fx.commands().get(fx.layout.lease(0))).startsWith("slow-grants-");
            }
        } finally {
            releases.shutdownNow();
            for (Connection c : lockers) {
                c.close();
            }
        }
    }
}
