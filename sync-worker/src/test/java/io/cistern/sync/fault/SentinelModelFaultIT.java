package io.cistern.sync.fault;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.PrivateRedisWithReplica;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The promotion test of {@link ClusterModelFaultIT} on a single Redis with one replica, managed by a Sentinel ({@link
 * PrivateRedisWithReplica}): the writer and the workers connect with {@code redis-sentinel://...#name}; while writes
 * flow the master is SIGKILLed (its replica and the workers frozen {@link #REPLICA_LAG} before, so what the master
 * acknowledged meanwhile is neither on the replica nor in PostgreSQL), the Sentinel promotes the replica, and the old master is restarted as a replica of
 * the new one; workers are SIGKILLed too. The writer waits for the one replica ({@code waitReplicas(1)}): no
 * acknowledged write lost, nothing resurrected, no older version over a newer one, PostgreSQL equal to the model.
 *
 * <p>Replay with {@code -Dcistern.fault.seed=<seed>}; soak with {@code -Dcistern.fault.minutes=10}.
 */
class SentinelModelFaultIT extends PromotionFaultTest {
    enum Fault {
        MASTER_SIGKILLED,
        WORKER_SIGKILL
    }

    private PrivateRedisWithReplica servers;

    @AfterEach
    void stopServers() {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void masterKilledAndReplicaPromoted_withTheWaitOnTheReplica_losesNothingAcknowledged() throws Exception {
        servers = PrivateRedisWithReplica.start("cistern-fault");
        start("wait-on", servers.sentinelUrl(), 1);
        runModel(Fault.class, this::fire);
    }

    private void fire(Fault fault, Random random, List<Producer> producers) throws Exception {
        switch (fault) {
            case MASTER_SIGKILLED -> {
                long[] killedAt = new long[1];
                PrivateRedis killed = servers.killMaster(
                        REPLICA_LAG, this::freezeWorkers, () -> killedAt[0] = masterKilled(producers));
                System.out.printf(
                        "SentinelModelFaultIT: master %d SIGKILLed; the Sentinel promoted %d after %d ms%n",
                        killed.port(), servers.master().port(), System.currentTimeMillis() - killedAt[0]);
                Set<Integer> every = IntStream.range(0, PARTITIONS).boxed().collect(Collectors.toSet());
                promoted(new Promotion("master " + killed.port() + " SIGKILLed", killedAt[0], every), producers);
                servers.restartAsReplica(killed);
            }
            case WORKER_SIGKILL -> restartBusiestWorker(random);
        }
    }
}
