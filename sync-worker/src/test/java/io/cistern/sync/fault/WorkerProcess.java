package io.cistern.sync.fault;

import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.lettuce.core.AbstractRedisClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sync worker as a process of its own, for fault tests that SIGKILL, SIGSTOP or SIGTERM it (test code only; {@link
 * ForkedWorker} launches it).
 *
 * <p>Connections come from the environment exactly as in production ({@code REDIS_URL} of any topology, {@code DATABASE_URL}, {@code
 * DB_APPLICATION_NAME}, {@code DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}, ...). Arguments: {@code <prefix> <leaseMillis>
 * <renewMillis>}. Prints {@value #READY} followed by {@code id=<workerId> pid=<pid>} once started, and closes the
 * worker (commit the batch in hand, acknowledge, release the leases) on SIGTERM through a shutdown hook.
 */
public final class WorkerProcess {
    static final String READY = "CISTERN-WORKER-READY";
    static final String STOPPED = "CISTERN-WORKER-STOPPED";

    private WorkerProcess() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: WorkerProcess <prefix> <leaseMillis> <renewMillis>");
        }
        KeyLayout layout = new KeyLayout(args[0]);
        SyncSettings settings = SyncSettings.defaults(layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofMillis(Long.parseLong(args[1])))
                .renewInterval(Duration.ofMillis(Long.parseLong(args[2])))
                .backoffInitial(Duration.ofMillis(50))
                .backoffMax(Duration.ofMillis(1_000))
                .parentMissingTimeout(Duration.ofSeconds(5))
                .build();
        DatabaseSettings database = DatabaseSettings.fromEnvironment(System.getenv());
        HikariDataSource dataSource = DataSources.create(database, "fault-" + settings.workerId());
        AbstractRedisClient redis = RedisClients.createAny(RedisSettings.fromEnvironment(System.getenv()));

        // The database may be restarting when a killed worker is relaunched: wait for the registry like a service
        // would.
        AtomicReference<TableRegistry> registry = new AtomicReference<>();
        await("registry readable from PostgreSQL")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> {
                    registry.set(Initializer.registry(dataSource));
                    return true;
                });

        SyncWorker worker = new SyncWorker(settings, registry.get(), dataSource, redis);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(Thread.ofPlatform()
                        .name("worker-process-shutdown")
                        .unstarted(() -> {
                            try {
                                worker.close();
                                dataSource.close();
                                redis.shutdown();
                                System.out.println(STOPPED + " id=" + settings.workerId());
                                System.out.flush();
                            } finally {
                                stopped.countDown();
                            }
                        }));
        worker.start();
        System.out.println(READY + " id=" + settings.workerId() + " pid="
                + ProcessHandle.current().pid());
        System.out.flush();
        stopped.await();
    }
}
