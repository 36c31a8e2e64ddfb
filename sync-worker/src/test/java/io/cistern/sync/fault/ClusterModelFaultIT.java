package io.cistern.sync.fault;

import io.cistern.connections.testing.PrivateRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The model-based fault test on a Redis Cluster (issue 21): random puts, patches and deletes from three producers
 * through {@link io.cistern.writer.RecordWriter}, two sync workers as separate JVMs, 16 partitions on a private cluster
 * of 3 masters with one replica each ({@link PrivateRedisCluster#startPrivate()}, {@code cluster-node-timeout} 1500
 * ms), and, while writes flow: the master serving the busiest partition SIGKILLed {@link #REPLICA_LAG} after its
 * replica and the workers were frozen (so what the master acknowledged meanwhile is neither on the replica nor in
 * PostgreSQL) and the replica promoted, then
 * restarted so it rejoins as a replica; a manual failover ({@code CLUSTER FAILOVER} on a replica); one partition's
 * slot migrated to another master; a worker SIGKILLed and relaunched. After each promotion the producers keep writing
 * their keys, so writes land on keys whose older versions were applied from the old master (counted, and required).
 *
 * <p>Two modes. With the writer waiting for every replica ({@code waitReplicas(1)}): no acknowledged write lost, a
 * write whose wait timed out is uncertain and settled later. With the wait off: the acknowledged writes a SIGKILL lost
 * are counted and printed, every key is uncertain after each kill until settled; both modes then require nothing
 * resurrected, no older version over a newer one, and PostgreSQL equal to the model row by row.
 *
 * <p>Replay with {@code -Dcistern.fault.seed=<seed>}; soak with {@code -Dcistern.fault.minutes=10} (by default, for CI,
 * one round per mode: every kind once, see {@link FaultSchedule}). Worker output goes to {@code target/fault-logs/ClusterModelFaultIT-<mode>-<seed>/}.
 */
class ClusterModelFaultIT extends PromotionFaultTest {
    enum Fault {
        MASTER_SIGKILLED,
        MANUAL_FAILOVER,
        SLOT_MIGRATED,
        WORKER_SIGKILL
    }

    private PrivateRedisCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void replicaWaitOnEveryReplica_losesNothingAcknowledged() throws Exception {
        runOnCluster("wait-on", 1);
    }

    @Test
    void replicaWaitOff_reportsTheLossWindow_andStillEndsAsTheModelSays() throws Exception {
        runOnCluster("wait-off", 0);
    }

    private void runOnCluster(String mode, int waitReplicas) throws Exception {
        cluster = PrivateRedisCluster.startPrivate();
        start(mode, cluster.url(), waitReplicas);
        runModel(Fault.class, this::fire);
    }

    /** The partitions whose slot {@code master} serves. */
    private Set<Integer> partitionsOf(PrivateRedisCluster.Node master) {
        Set<Integer> partitions = new HashSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            if (master.serves(SlotHash.getSlot(layout.meta(p)))) {
                partitions.add(p);
            }
        }
        return partitions;
    }

    private void fire(Fault fault, Random random, List<Producer> producers) throws Exception {
        switch (fault) {
            case MASTER_SIGKILLED -> {
                int busiest = check.busiestPartition();
                PrivateRedisCluster.Node master = cluster.masterOfKey(layout.meta(busiest));
                Set<Integer> partitions = partitionsOf(master);
                long[] killedAt = new long[1];
                PrivateRedisCluster.Node promoted = cluster.killMaster(
                        master, REPLICA_LAG, this::freezeWorkers, () -> killedAt[0] = masterKilled(producers));
                System.out.printf(
                        "ClusterModelFaultIT: master %d (partitions %s) SIGKILLed; replica %d promoted after %d"
                                + " ms%n",
                        master.port(), partitions, promoted.port(), System.currentTimeMillis() - killedAt[0]);
                promoted(new Promotion("master " + master.port() + " SIGKILLed", killedAt[0], partitions), producers);
                cluster.restart(master);
            }
            case MANUAL_FAILOVER -> {
                List<PrivateRedisCluster.Node> masters = cluster.masters();
                PrivateRedisCluster.Node master = masters.get(random.nextInt(masters.size()));
                Set<Integer> partitions = partitionsOf(master);
                long at = System.currentTimeMillis();
                PrivateRedisCluster.Node promoted = cluster.failover(master);
                System.out.printf(
                        "ClusterModelFaultIT: master %d (partitions %s) failed over to %d in %d ms%n",
                        master.port(), partitions, promoted.port(), System.currentTimeMillis() - at);
                promoted(new Promotion("manual failover of " + master.port(), at, partitions), producers);
            }
            case SLOT_MIGRATED -> {
                int partition = random.nextInt(PARTITIONS);
                int slot = SlotHash.getSlot(layout.meta(partition));
                PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
                List<PrivateRedisCluster.Node> targets = cluster.masters().stream()
                        .filter(m -> !m.id().equals(source.id()))
                        .toList();
                PrivateRedisCluster.Node target = targets.get(random.nextInt(targets.size()));
                long at = System.currentTimeMillis();
                PrivateRedisCluster.SlotMigration migration = cluster.beginSlotMigration(slot, target);
                // Writes go on while the slot is half moved: some keys ASKed to the target, TRYAGAIN for others.
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                int moved = migration.moveKeys();
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                migration.finish();
                watchStall(
                        new Promotion(
                                "slot of partition " + partition + " moved",
                                System.currentTimeMillis(),
                                Set.of(partition)),
                        producers);
                System.out.printf(
                        "ClusterModelFaultIT: partition %d (slot %d) moved from %d to %d (%d keys) in %d ms%n",
                        partition, slot, source.port(), target.port(), moved, System.currentTimeMillis() - at);
            }
            case WORKER_SIGKILL -> restartBusiestWorker(random);
        }
    }
}
