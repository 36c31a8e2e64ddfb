package io.cistern.examples.jobworker;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncTimeoutException;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.task.TaskExecutor;
import org.springframework.stereotype.Service;

/**
 * Runs document jobs on the application's task executor: register the document, mark it processing, extract its
 * entities, mark it done, all through {@link RecordWriter}. None of it touches PostgreSQL, so jobs keep running while
 * the database is down or slow; the rows follow when the sync worker can apply them.
 *
 * <p>The last step needs to know the document is <em>in PostgreSQL</em> (say, to tell a downstream service it can now
 * query it): it waits with {@link RecordWriter#awaitSyncedAsync}, without holding a worker thread, and waits again
 * after each timeout, so a database outage only delays the confirmation.
 *
 * <p>Thread-safe.
 */
@Service
class DocumentJobs {
    private static final Logger LOG = LoggerFactory.getLogger(DocumentJobs.class);
    private static final int MAX_ATTEMPTS = 5;

    private final RecordWriter writer;
    private final TaskExecutor executor;
    private final EntityExtractor extractor = new EntityExtractor();
    private final Duration syncWait;
    private final Map<UUID, JobStatus> jobs = new ConcurrentHashMap<>();

    DocumentJobs(RecordWriter writer, TaskExecutor executor, @Value("${job-worker.sync-wait:30s}") Duration syncWait) {
        this.writer = writer;
        this.executor = executor;
        this.syncWait = syncWait;
    }

    /** Queues a job for a document; returns its status (state {@code queued}). */
    JobStatus submit(String filename, String text) {
        UUID jobId = UUID.randomUUID();
        JobStatus queued = new JobStatus(jobId, UUID.randomUUID(), "queued", 0, null);
        jobs.put(jobId, queued);
        executor.execute(() -> run(queued, filename, text));
        return queued;
    }

    Optional<JobStatus> status(UUID jobId) {
        return Optional.ofNullable(jobs.get(jobId));
    }

    private void run(JobStatus job, String filename, String text) {
        try {
            RecordKey doc = RecordKey.of(job.documentUuid());
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            withRetry(
                    job,
                    () -> writer.put(
                            "source_documents",
                            doc,
                            Map.of(
                                    "filename",
                                    filename,
                                    "status",
                                    "registered",
                                    "content_type",
                                    "text/plain",
                                    "size_bytes",
                                    (long) bytes.length,
                                    "sha256",
                                    sha256(bytes))));
            withRetry(job, () -> writer.patch("source_documents", doc, Map.of("status", "processing")));

            List<EntityExtractor.Entity> entities = extractor.extract(text);
            List<Write> rows = new ArrayList<>();
            for (EntityExtractor.Entity e : entities) {
                // Derived from the document and the position, so a retried job rewrites the same rows.
                UUID entityUuid =
                        UUID.nameUUIDFromBytes((job.documentUuid() + ":" + e.start()).getBytes(StandardCharsets.UTF_8));
                Map<String, Object> columns = new LinkedHashMap<>();
                columns.put("entity_type", e.type());
                columns.put("value", e.value());
                columns.put("normalized", e.normalized());
                columns.put("confidence", e.confidence());
                columns.put("page_number", 1);
                columns.put("start_offset", e.start());
                columns.put("end_offset", e.end());
                rows.add(Write.put("entities", RecordKey.of(job.documentUuid(), entityUuid), columns));
            }
            if (!rows.isEmpty()) {
                withRetry(job, () -> writer.writeAll(rows).orThrow());
            }
            WriteReceipt done = withRetry(
                    job,
                    () -> writer.patch(
                            "source_documents",
                            doc,
                            Map.of(
                                    "status",
                                    "done",
                                    "page_count",
                                    1,
                                    "processed_at",
                                    Instant.now().truncatedTo(ChronoUnit.MICROS))));
            JobStatus written = new JobStatus(job.jobId(), job.documentUuid(), "written", entities.size(), null);
            jobs.put(job.jobId(), written);
            confirmSynced(written, done);
        } catch (CisternException e) {
            LOG.warn("job {} failed: {}", job.jobId(), e.getMessage());
            jobs.put(
                    job.jobId(),
                    new JobStatus(job.jobId(), job.documentUuid(), "failed", 0, e.code() + ": " + e.getMessage()));
        }
    }

    /**
     * Waits, without a thread, until the document's last write is in PostgreSQL (the document and its entities share a
     * partition and are applied in order, so the earlier writes are in too); waits again after each timeout.
     */
    private void confirmSynced(JobStatus job, WriteReceipt done) {
        writer.awaitSyncedAsync(done, syncWait).whenComplete((outcome, failure) -> {
            Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
            if (cause == null) {
                jobs.put(job.jobId(), job.with("synced"));
                LOG.info(
                        "document {} is in PostgreSQL ({} ms after the wait began)",
                        job.documentUuid(),
                        outcome.waited().toMillis());
            } else if (cause instanceof SyncTimeoutException) {
                LOG.info("document {} not in PostgreSQL yet (is it reachable?); still waiting", job.documentUuid());
                confirmSynced(job, done);
            } else {
                jobs.put(
                        job.jobId(),
                        new JobStatus(job.jobId(), job.documentUuid(), "failed", job.entities(), cause.getMessage()));
            }
        });
    }

    private interface Step<T> {
        T run();
    }

    /** Retries a write refused as retryable (Redis briefly away, buffer full), waiting as the refusal asks. */
    private <T> T withRetry(JobStatus job, Step<T> step) {
        for (int attempt = 1; ; attempt++) {
            try {
                return step.run();
            } catch (RetryableException e) {
                if (attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                Duration wait = e.retryAfter().compareTo(Duration.ofMillis(100)) < 0
                        ? Duration.ofMillis(100L * attempt)
                        : e.retryAfter();
                LOG.info(
                        "job {}: retry {}/{} in {} ms: {}",
                        job.jobId(),
                        attempt,
                        MAX_ATTEMPTS,
                        wait.toMillis(),
                        e.getMessage());
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
