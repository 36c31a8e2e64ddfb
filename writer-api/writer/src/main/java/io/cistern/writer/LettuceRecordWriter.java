package io.cistern.writer;

import io.cistern.connections.RedisDeployment;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RedisReplies;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.registry.RegistryCache;
import io.cistern.schema.registry.RegistryCodec;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lettuce implementation of {@link RecordWriter}.
 *
 * <p>Concurrency: every thread shares one connection (Lettuce connections are thread-safe). A batch is handed to the
 * connection in runs of at most {@link WriterSettings#maxInFlight()} writes ({@link InFlightWindow}), each run as one
 * collection, so it is written and flushed in one go by the I/O thread, as a pipeline, without interleaving with other
 * threads' commands. The registry snapshot is swapped atomically when it is refreshed. Flush
 * barriers are answered by a {@link SyncBarrier} on its own thread, with asynchronous reads on the same connection.
 */
final class LettuceRecordWriter implements RecordWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LettuceRecordWriter.class);

    private static final Duration BLOCKING_MARGIN = Duration.ofSeconds(5);

    private final WriterSettings settings;
    /** The connection (and, unless the caller shares its client, the client): single server, Sentinel or Cluster. */
    private final RedisDeployment redis;

    private final RegistryCache registry;
    /**
     * The registry a write was last refused as stale by (Redis holds a newer registration of its table), on the async
     * and batch paths: the next write encoded reloads past it first. Null when none is pending.
     */
    private volatile TableRegistry stale;

    private final WriteEncoder encoder;
    private final InstantSource clock;
    private final SyncBarrier barrier;
    private final WriterMetrics metrics;
    /** When the cluster topology was last refreshed for a write sent to a master that no longer serves its slot. */
    private final AtomicLong lastTopologyRefresh = new AtomicLong();

    private LettuceRecordWriter(
            WriterSettings settings,
            RedisDeployment redis,
            RegistryCache registry,
            int maxValueBytes,
            InstantSource clock,
            MeterRegistry meters) {
        this.settings = settings;
        this.redis = redis;
        this.registry = registry;
        this.encoder = new WriteEncoder(settings.layout(), maxValueBytes);
        this.clock = clock;
        this.barrier = new SyncBarrier(redis.async(), settings.layout(), clock);
        this.metrics = new WriterMetrics(meters, registry::current);
    }

    static LettuceRecordWriter connect(WriterSettings settings, MeterRegistry meters) {
        Objects.requireNonNull(meters, "meters");
        RedisDeployment redis;
        try {
            redis = RedisDeployment.open(settings.redis());
        } catch (RuntimeException e) {
            throw FailureTranslator.fromRedis(
                    "connecting the RecordWriter to " + settings.redis().redactedUrl(), e);
        }
        return open(settings, redis, meters);
    }

    static LettuceRecordWriter connect(WriterSettings settings, AbstractRedisClient client, MeterRegistry meters) {
        Objects.requireNonNull(meters, "meters");
        RedisDeployment redis;
        try {
            redis = RedisDeployment.connect(Objects.requireNonNull(client, "client"), settings.redis());
        } catch (RuntimeException e) {
            throw FailureTranslator.fromRedis(
                    "connecting the RecordWriter to " + settings.redis().redactedUrl(), e);
        }
        return open(settings, redis, meters);
    }

    private static LettuceRecordWriter open(WriterSettings settings, RedisDeployment redis, MeterRegistry meters) {
        try {
            // The library lives on each server: every master of a cluster must hold it.
            for (RedisDeployment.Master master : redis.masters()) {
                requireInstalled(redis, master);
            }
            InstantSource clock = InstantSource.system();
            RegistryCache registry =
                    RegistryCache.fromRedis(redis.sync(), settings.layout(), settings.registryRefresh(), clock);
            String maxValue = redis.sync().hget(settings.layout().meta(0), MetaFields.MAX_VALUE);
            int maxValueBytes = maxValue == null ? BufferLimits.DEFAULTS.maxValueBytes() : Integer.parseInt(maxValue);
            LOG.info(
                    "RecordWriter connected to {} (prefix '{}'): {} partitions, tables {}",
                    settings.redis().redactedUrl(),
                    settings.layout().prefix(),
                    registry.current().partitions(),
                    registry.current().tables().stream().map(t -> t.name()).toList());
            return new LettuceRecordWriter(settings, redis, registry, maxValueBytes, clock, meters);
        } catch (RuntimeException e) {
            redis.close();
            throw FailureTranslator.fromRedis(
                    "connecting the RecordWriter to " + settings.redis().redactedUrl(), e);
        }
    }

    /** {@link FunctionLibrary#requireInstalled} on one master, naming that master on a cluster. */
    private static void requireInstalled(RedisDeployment redis, RedisDeployment.Master master) {
        try {
            FunctionLibrary.requireInstalled(master.sync());
        } catch (PermanentException e) {
            if (!redis.isCluster()) {
                throw e;
            }
            throw new PermanentException(
                    e.code(), "Redis Cluster master " + master.address() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public WriteReceipt put(String table, RecordKey key, Map<String, ?> columns) {
        return write(Write.put(table, key, columns));
    }

    @Override
    public WriteReceipt patch(String table, RecordKey key, Map<String, ?> columns) {
        return write(Write.patch(table, key, columns));
    }

    @Override
    public WriteReceipt delete(String table, RecordKey key) {
        return write(Write.delete(table, key));
    }

    @Override
    public WriteReceipt write(Write write) {
        EncodedWrite w = encode(write);
        try {
            return await(w, observed(w, send(w)));
        } catch (InvalidRecordException refusal) {
            throw rejudged(write, refusal);
        } catch (RetryableException e) {
            if (!isStale(e) || !reloadPast(w.judgedBy())) {
                throw e;
            }
        }
        // Judged by an older registration than the partition holds: judged again by the reloaded one (which may
        // refuse it, naming the field) and sent once more.
        EncodedWrite again = encode(write);
        try {
            return await(again, observed(again, send(again)));
        } catch (InvalidRecordException refusal) {
            throw rejudged(write, refusal);
        }
    }

    /** Whether Redis refused a write as judged by an older registration of its table ({@code STALE_REGISTRY}). */
    private static boolean isStale(Throwable failure) {
        return failure instanceof RetryableException r && FailureTranslator.STALE_REGISTRY.equals(r.code());
    }

    /** Reloads the registry past {@code judgedBy} after a stale refusal; true when the current one is newer. */
    private boolean reloadPast(TableRegistry judgedBy) {
        try {
            return registry.reloadPast(judgedBy);
        } catch (RuntimeException e) {
            LOG.warn("could not reload the table registry from Redis after a stale refusal: {}", e.toString());
            return false;
        }
    }

    /**
     * A refusal by the Function of what the writer's registry accepted (a table, a column, a CHECK): the registry may be older than the one
     * Redis holds now (a column dropped, a table re-registered), so it is reloaded and the write judged again, which
     * names the field; the Function's refusal stands when the reloaded registry still accepts the write. Only on the
     * blocking path: a reload is a Redis call, never made on Lettuce's event loop.
     */
    private InvalidRecordException rejudged(Write write, InvalidRecordException refusal) {
        if (judgedByRegistry(refusal) && refreshRegistry(write.table())) {
            try {
                encoder.encode(registry.current(), write);
            } catch (InvalidRecordException again) {
                return again;
            }
        }
        return refusal;
    }

    @Override
    public CompletableFuture<WriteReceipt> writeAsync(Write write) {
        EncodedWrite w;
        try {
            w = encode(write);
        } catch (CisternException e) {
            return CompletableFuture.failedFuture(e);
        }
        return observed(w, send(w)).exceptionallyCompose(t -> CompletableFuture.failedFuture(translate(w, t)));
    }

    @Override
    public BatchReceipt writeAll(List<Write> writes) {
        CompletableFuture<BatchReceipt> f = writeAllAsync(writes);
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw FailureTranslator.fromRedis("batch of " + writes.size() + " writes", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw FailureTranslator.fromRedis("batch of " + writes.size() + " writes", e);
        }
    }

    @Override
    public CompletableFuture<BatchReceipt> writeAllAsync(List<Write> writes) {
        if (writes.size() > settings.maxBatch()) {
            // Refused whole before anything is encoded or sent: counted as refused, each write under this reason.
            InvalidRecordException tooLarge = new InvalidRecordException(
                    InvalidRecordException.Reason.BATCH_TOO_LARGE,
                    null,
                    "writes",
                    "a batch of " + writes.size() + " writes is more than the limit of " + settings.maxBatch()
                            + " writes a batch (" + WriterSettings.MAX_BATCH_VARIABLE
                            + "): split it into smaller batches or raise the limit; nothing was written");
            writes.forEach(w -> metrics.refused(w.table(), tooLarge.code()));
            throw tooLarge;
        }
        List<EncodedWrite> encoded = new ArrayList<>(writes.size());
        for (int i = 0; i < writes.size(); i++) {
            try {
                encoded.add(encode(writes.get(i)));
            } catch (InvalidRecordException e) {
                // The whole batch is refused: count its other writes too, under the reason of the one at fault.
                for (int j = 0; j < writes.size(); j++) {
                    if (j != i) {
                        metrics.refused(writes.get(j).table(), e.code());
                    }
                }
                throw e.inBatch(i);
            }
        }
        // On a cluster a run is sent only once the one before is answered: Lettuce's cluster connection was seen to
        // let a later run's write overtake an earlier one of the same partition (RecordWriterBatchWindowIT).
        List<CompletableFuture<WriteReceipt>> futures = InFlightWindow.send(
                encoded.size(),
                settings.maxInFlight(),
                !redis.isCluster(),
                (from, to) -> settings.waitsForReplicas()
                        ? dispatchWaitingForReplicas(encoded.subList(from, to))
                        : dispatch(encoded.subList(from, to)));
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .handle((ignored, ignoredFailure) -> {
                    List<Optional<WriteReceipt>> receipts = new ArrayList<>(futures.size());
                    Map<Integer, CisternException> failures = new HashMap<>();
                    for (int i = 0; i < futures.size(); i++) {
                        try {
                            receipts.add(Optional.of(futures.get(i).join()));
                        } catch (CompletionException e) {
                            receipts.add(Optional.empty());
                            failures.put(i, translate(encoded.get(i), e.getCause()));
                        }
                    }
                    return new BatchReceipt(receipts, failures);
                });
    }

    /**
     * One run of a batch's writes ({@link InFlightWindow}) in one go on the deployment's connection, each write's
     * answer observed.
     */
    private List<CompletableFuture<WriteReceipt>> dispatch(List<EncodedWrite> encoded) {
        List<AsyncCommand<String, String, List<Object>>> commands = new ArrayList<>(encoded.size());
        List<CompletableFuture<WriteReceipt>> futures = new ArrayList<>(encoded.size());
        for (EncodedWrite w : encoded) {
            AsyncCommand<String, String, List<Object>> command = command(w);
            commands.add(command);
            futures.add(observed(w, command.thenApply(reply -> receipt(w, reply))));
        }
        // On a cluster, Lettuce groups the commands by slot and writes each group in one go to its master's
        // connection (ClusterDistributionChannelWriter): pipelined to every master at once.
        redis.connection().dispatch(commands);
        return futures;
    }

    /**
     * One run of a batch's writes ({@link InFlightWindow}) grouped by the master serving each write's partition: each
     * group's writes and then one {@code WAIT}, in one go on that master's node connection (see {@link #sendAndWait}),
     * so a run waits once per master, not once per write. Every master's group is sent before any answer is awaited.
     */
    private List<CompletableFuture<WriteReceipt>> dispatchWaitingForReplicas(List<EncodedWrite> encoded) {
        List<CompletableFuture<WriteReceipt>> futures = new ArrayList<>(encoded.size());
        Map<String, RedisDeployment.Master> masters = new LinkedHashMap<>();
        Map<String, List<AsyncCommand<String, String, ?>>> groups = new HashMap<>();
        Map<String, AsyncCommand<String, String, Long>> waits = new HashMap<>();
        for (EncodedWrite w : encoded) {
            RedisDeployment.Master master;
            try {
                master = redis.masterFor(w.keys()[0]);
            } catch (RuntimeException e) {
                futures.add(observed(w, CompletableFuture.failedFuture(noMaster(w, e))));
                continue;
            }
            masters.putIfAbsent(master.address(), master);
            AsyncCommand<String, String, Long> wait = waits.computeIfAbsent(master.address(), a -> waitCommand());
            AsyncCommand<String, String, List<Object>> fcall = command(w);
            groups.computeIfAbsent(master.address(), a -> new ArrayList<>()).add(fcall);
            futures.add(observed(w, replicated(w, master, fcall.thenApply(reply -> receipt(w, reply)), wait)));
        }
        for (Map.Entry<String, RedisDeployment.Master> m : masters.entrySet()) {
            List<AsyncCommand<String, String, ?>> group = groups.get(m.getKey());
            group.add(waits.get(m.getKey()));
            m.getValue().connection().dispatch(group);
        }
        return futures;
    }

    @Override
    public CompletableFuture<SyncOutcome> awaitSyncedAsync(WriteReceipt receipt, Duration timeout) {
        return barrier.await(receipt, timeout);
    }

    @Override
    public SyncOutcome awaitSynced(WriteReceipt receipt, Duration timeout) {
        CompletableFuture<SyncOutcome> f = awaitSyncedAsync(receipt, timeout);
        try {
            // The barrier answers by the deadline on its own; the margin only guards against a barrier that never
            // answers, which must not hang the caller.
            return f.get(timeout.plus(BLOCKING_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof CisternException ce
                    ? ce
                    : FailureTranslator.fromRedis("waiting for " + receipt.entryId() + " to be synced", e.getCause());
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new SyncTimeoutException(
                    receipt,
                    null,
                    timeout.plus(BLOCKING_MARGIN),
                    "no answer about " + receipt.table() + "/" + receipt.key() + " (entry " + receipt.entryId()
                            + ") within " + timeout.plus(BLOCKING_MARGIN).toMillis() + " ms",
                    e);
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new RetryableException(
                    "SYNC_INTERRUPTED",
                    "waiting for " + receipt.table() + "/" + receipt.key() + " (entry " + receipt.entryId()
                            + ") to be synced was interrupted; the write itself is stored in Redis",
                    Duration.ZERO,
                    e);
        }
    }

    @Override
    public TableRegistry registry() {
        return registry.current();
    }

    private EncodedWrite encode(Write write) {
        try {
            return encodeOnce(write);
        } catch (CisternException e) {
            metrics.refused(write.table(), e.code());
            throw e;
        }
    }

    private EncodedWrite encodeOnce(Write write) {
        TableRegistry refusedAsStale = stale;
        if (refusedAsStale != null && refusedAsStale == registry.current() && reloadPast(refusedAsStale)) {
            stale = null;
        }
        try {
            return encoder.encode(registry.current(), write);
        } catch (InvalidRecordException e) {
            if (judgedByRegistry(e) && refreshRegistry(write.table())) {
                return encoder.encode(registry.current(), write);
            }
            throw e;
        }
    }

    /** Counts the write as stored or refused when Redis answers ({@link WriterMetrics}). */
    private CompletableFuture<WriteReceipt> observed(EncodedWrite w, CompletableFuture<WriteReceipt> f) {
        return f.whenComplete((receipt, failure) -> {
            if (failure == null) {
                metrics.written(w.table(), w.op());
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                CisternException translated = translate(w, cause);
                if (isStale(translated)) {
                    // Never reloaded here (Lettuce's thread): the next write encoded reloads first.
                    stale = w.judgedBy();
                }
                metrics.refused(w.table(), translated.code());
            }
        });
    }

    /**
     * Whether a refusal was decided by what the registry says (a table, a column, a column's type, a CHECK): the
     * registry may be older than the table, so it is worth judging again after a reload.
     */
    private static boolean judgedByRegistry(InvalidRecordException e) {
        return switch (e.reason()) {
            case UNKNOWN_TABLE, UNKNOWN_COLUMN, WRONG_TYPE, CHECK_VIOLATION -> true;
            default -> false;
        };
    }

    /**
     * After a refusal by what the registry says about {@code table}: whether the registry now holds a newer
     * registration, so the write is worth judging again. First the cheap question, one {@code HGET} of the table's
     * published JSON, whose generation says whether {@code table} was registered (again) since this copy was loaded:
     * if so the registry is reloaded at once ({@link RegistryCache#reloadPast}), so the first write to a table
     * registered a moment ago is accepted. Otherwise (or when Redis cannot tell) a reload at most once per refresh
     * interval ({@link RegistryCache#reloadOnMiss}). Only on a refusal, never on the path of an accepted write.
     */
    private boolean refreshRegistry(String table) {
        TableRegistry judgedBy = registry.current();
        try {
            String published = redis.sync().hget(settings.layout().registry(), table);
            Optional<String> generation = Optional.ofNullable(published).map(RegistryCodec::generation);
            if (!generation.equals(judgedBy.generation(table)) && registry.reloadPast(judgedBy)) {
                return true;
            }
            return registry.reloadOnMiss();
        } catch (RuntimeException e) {
            LOG.warn("could not refresh the table registry from Redis: {}", e.toString());
            return false;
        }
    }

    private CompletableFuture<WriteReceipt> send(EncodedWrite w) {
        if (settings.waitsForReplicas()) {
            return sendAndWait(w);
        }
        AsyncCommand<String, String, List<Object>> command = command(w);
        redis.connection().dispatch(command);
        return command.thenApply(reply -> receipt(w, reply));
    }

    /**
     * The write followed by {@code WAIT replicas timeout}, pipelined on the node connection of the master serving its
     * partition. {@code WAIT} counts the replicas that acknowledged every write its own connection sent before it, so
     * it must follow the {@code FCALL} on the same connection: on a cluster the connection the write's master has in
     * {@link RedisDeployment#masterFor}, which is not redirected (a {@code MOVED} is refused as {@code SLOT_MIGRATING},
     * nothing applied, and the topology refreshed); off a cluster the one shared connection, where the wait also covers
     * other threads' writes sent before it, which only makes it wait for more than it must.
     */
    private CompletableFuture<WriteReceipt> sendAndWait(EncodedWrite w) {
        RedisDeployment.Master master;
        try {
            master = redis.masterFor(w.keys()[0]);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(noMaster(w, e));
        }
        AsyncCommand<String, String, List<Object>> fcall = command(w);
        AsyncCommand<String, String, Long> wait = waitCommand();
        master.connection().dispatch(List.of(fcall, wait));
        return replicated(w, master, fcall.thenApply(reply -> receipt(w, reply)), wait);
    }

    /**
     * {@code applied} once {@code wait} says enough replicas hold it; a write the master applied whose wait fell short,
     * or failed, may have been applied ({@link FailureTranslator#replicaWaitShort}). A write the master refused fails
     * with its own refusal.
     */
    private CompletableFuture<WriteReceipt> replicated(
            EncodedWrite w,
            RedisDeployment.Master master,
            CompletableFuture<WriteReceipt> applied,
            CompletableFuture<Long> wait) {
        CompletableFuture<WriteReceipt> result = applied.thenCompose(receipt -> wait.handle((acknowledged, failure) -> {
            if (failure == null && acknowledged != null && acknowledged >= settings.waitReplicas()) {
                return receipt;
            }
            throw FailureTranslator.replicaWaitShort(
                    w.describe(),
                    master.address(),
                    acknowledged == null ? 0 : acknowledged,
                    settings.waitReplicas(),
                    settings.waitTimeout(),
                    failure);
        }));
        if (redis.isCluster()) {
            result.whenComplete((ignored, failure) -> {
                if (failure != null && isRedirect(failure)) {
                    refreshTopologySoon();
                }
            });
        }
        return result;
    }

    private RetryableException noMaster(EncodedWrite w, RuntimeException e) {
        refreshTopologySoon();
        return new RetryableException(
                "REDIS_UNAVAILABLE",
                w.describe() + " failed: " + e.getMessage() + "; nothing was written",
                Duration.ofSeconds(1),
                e);
    }

    /** Whether a write sent on a node connection was refused because its slot is served elsewhere now. */
    private static boolean isRedirect(Throwable failure) {
        return FailureTranslator.fromRedis("", failure) instanceof RetryableException r
                && "SLOT_MIGRATING".equals(r.code());
    }

    /**
     * Refreshes the cluster topology on a thread of its own (never on Lettuce's event loop), at most once a second:
     * node connections are not redirected, so writes with a replica wait need the client to learn a moved slot.
     */
    private void refreshTopologySoon() {
        long now = System.nanoTime();
        long last = lastTopologyRefresh.get();
        if (last != 0 && now - last < TimeUnit.SECONDS.toNanos(1) || !lastTopologyRefresh.compareAndSet(last, now)) {
            return;
        }
        Thread.ofVirtual().name("cistern-writer-topology-refresh").start(() -> {
            try {
                redis.refreshTopology();
            } catch (RuntimeException e) {
                LOG.warn("could not refresh the Redis Cluster topology: {}", e.toString());
            }
        });
    }

    /** {@code WAIT numreplicas timeout}, replying with the number of replicas that acknowledged. */
    private AsyncCommand<String, String, Long> waitCommand() {
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8)
                .add(settings.waitReplicas())
                .add(settings.waitTimeout().toMillis());
        return new AsyncCommand<>(new Command<>(CommandType.WAIT, new IntegerOutput<>(StringCodec.UTF8), args));
    }

    /** {@code FCALL function numkeys key... arg...}, replying with a list (version, entry ID). */
    private static AsyncCommand<String, String, List<Object>> command(EncodedWrite w) {
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8)
                .add(w.function())
                .add(w.keys().length)
                .addKeys(w.keys())
                .addValues(w.args());
        return new AsyncCommand<>(new Command<>(CommandType.FCALL, new NestedMultiOutput<>(StringCodec.UTF8), args));
    }

    private static WriteReceipt receipt(EncodedWrite w, List<Object> reply) {
        return new WriteReceipt(
                w.table(), w.key(), w.op(), w.partition(), ((Number) reply.get(0)).longValue(), (String) reply.get(1));
    }

    private WriteReceipt await(EncodedWrite w, CompletableFuture<WriteReceipt> f) {
        try {
            return f.get(blockingWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw translate(w, e.getCause());
        } catch (TimeoutException e) {
            throw translate(w, RedisReplies.noReplyWithin(blockingWait()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw translate(w, e);
        }
    }

    /** How long a blocking write waits for its answer: the command timeout, the replica wait, and a margin. */
    private Duration blockingWait() {
        Duration wait = settings.waitsForReplicas() ? settings.waitTimeout() : Duration.ZERO;
        return settings.redis().commandTimeout().plus(wait).plusSeconds(1);
    }

    /**
     * Translates the failure of one write. Redis does not echo the table in its refusals (a patch of a deleted record,
     * say), so the write's table is filled in here: every {@link InvalidRecordException} names its table.
     */
    private CisternException translate(EncodedWrite w, Throwable failure) {
        CisternException e = FailureTranslator.fromRedis(w.describe(), failure);
        if (e instanceof InvalidRecordException invalid && invalid.table() == null) {
            return new InvalidRecordException(
                    invalid.reason(), w.table(), invalid.field(), invalid.getMessage(), invalid.getCause());
        }
        if (redis.isCluster()
                && e instanceof RetryableException r
                && FailureTranslator.NOT_INITIALISED.equals(r.code())) {
            // One master lacks the library (a new node, a reshard target, a promoted replica that lost it): name it.
            return new RetryableException(
                    r.code(), "on Redis Cluster master " + masterOf(w) + ": " + r.getMessage(), r.retryAfter(), r);
        }
        return e;
    }

    /** The address of the master serving {@code w}'s partition, as the client sees the topology. */
    private String masterOf(EncodedWrite w) {
        try {
            return redis.masterFor(w.keys()[0]).address();
        } catch (RuntimeException unknown) {
            return "(unknown: " + unknown.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        barrier.close();
        redis.close();
    }
}
