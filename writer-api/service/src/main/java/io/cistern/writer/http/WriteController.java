package io.cistern.writer.http;

import io.cistern.connections.BearerTokenCheck;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureResponse;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.writer.BatchReceipt;
import io.cistern.writer.DeadLetteredException;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.SyncOutcome;
import io.cistern.writer.SyncTimeoutException;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The write endpoints. Each request is authenticated, its body read (bounded) and parsed exactly, handed to the {@link
 * RecordWriter}, answered with {@code 202 Accepted} and the receipt, or with an error JSON (see {@link FailureResponse}),
 * and counted in {@link RequestMetrics}.
 *
 * <p>With {@code ?wait=synced[&timeout=5s]} ({@link SyncWait}) the answer waits for the flush barrier ({@link
 * RecordWriter#awaitSyncedAsync}), asynchronously: {@code 200} with the receipt and {@code "synced": true} once
 * PostgreSQL holds the write (or a newer version of the row); {@code 422} {@code DEAD_LETTERED} with the reason and
 * SQLSTATE when the worker dead-lettered it; {@code 504} {@code SYNC_TIMEOUT} with the applied watermark when the
 * timeout passed first. Every one of them carries the receipt: the write is stored in Redis either way, so a client
 * must not write it again after a 504. A batch waits only when all its writes were accepted. Errors are handled here rather than in a controller advice so that every
 * outcome is counted once and the advice cannot catch other controllers' errors in the all-in-one launcher.
 *
 * <p>The key is read from the raw request URI (see {@link WriteRequestParser#rawKeySegment}), never from the decoded
 * path variable. Thread-safe (stateless; the writer is thread-safe).
 */
@RestController
final class WriteController {
    private static final Logger LOG = LoggerFactory.getLogger(WriteController.class);
    private static final String RECORD = "/v1/tables/{table}/records/{id}";
    private static final String BATCH = "/v1/tables/{table}/records:batch";

    private final RecordWriter writer;
    private final WriterHttpSettings settings;
    private final BearerTokenCheck auth;
    private final RequestMetrics metrics;

    WriteController(RecordWriter writer, WriterHttpSettings settings, RequestMetrics metrics) {
        this.writer = writer;
        this.settings = settings;
        this.auth = new BearerTokenCheck(settings.token(), WriterHttpSettings.TOKEN);
        this.metrics = metrics;
    }

    @PutMapping(RECORD)
    Object put(@PathVariable String table, HttpServletRequest request, HttpServletResponse response) {
        return handle(table, Operation.PUT.wire(), request, response, () -> single(Operation.PUT, table, request));
    }

    @PatchMapping(RECORD)
    Object patch(@PathVariable String table, HttpServletRequest request, HttpServletResponse response) {
        return handle(table, Operation.PATCH.wire(), request, response, () -> single(Operation.PATCH, table, request));
    }

    /** A delete takes no body; one that is sent is not read. */
    @DeleteMapping(RECORD)
    Object delete(@PathVariable String table, HttpServletRequest request, HttpServletResponse response) {
        return handle(
                table, Operation.DELETE.wire(), request, response, () -> single(Operation.DELETE, table, request));
    }

    @PostMapping(BATCH)
    Object batch(@PathVariable String table, HttpServletRequest request, HttpServletResponse response) {
        return handle(table, "batch", request, response, () -> writeBatch(table, request));
    }

    private record Answer(ResponseEntity<byte[]> response, String outcome) {}

    /**
     * Runs {@code action} and answers: at once, written straight to {@code response} (and null returned, which tells
     * Spring the request is handled), when the answer is known (every request without {@code wait=synced}), else with
     * a {@link DeferredResult} that the flush barrier completes, so a waiting request holds no server thread. The
     * immediate answer is a JSON body this class has already encoded: writing it directly skips Spring's content
     * negotiation and message converters, which were a tenth of a single write's CPU in a profile (docs/benchmarks.md,
     * "Issue 22: the HTTP ingest path").
     */
    private Object handle(
            String table,
            String op,
            HttpServletRequest request,
            HttpServletResponse response,
            Supplier<CompletableFuture<Answer>> action) {
        String key = keyForLog(request);
        CompletableFuture<Answer> answer;
        try {
            auth.refusal(request.getHeader(HttpHeaders.AUTHORIZATION)).ifPresent(reason -> {
                throw RequestRefusedException.unauthorized(reason);
            });
            answer = action.get();
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        if (answer.isDone()) {
            send(finish(table, op, key, answer), response);
            return null;
        }
        // The barrier answers by the request's own timeout; this one only guards against an answer that never comes.
        DeferredResult<ResponseEntity<byte[]>> deferred =
                new DeferredResult<>(SyncWait.MAX_TIMEOUT.plusSeconds(15).toMillis());
        CompletableFuture<Answer> pending = answer;
        pending.whenComplete((a, t) -> deferred.setResult(finish(table, op, key, pending)));
        return deferred;
    }

    /** Writes {@code answer}'s status, headers and body to {@code response}. */
    private static void send(ResponseEntity<byte[]> answer, HttpServletResponse response) {
        response.setStatus(answer.getStatusCode().value());
        answer.getHeaders().forEach((name, values) -> values.forEach(v -> response.addHeader(name, v)));
        byte[] body = answer.getBody();
        try {
            if (body != null) {
                response.setContentLength(body.length);
                response.getOutputStream().write(body);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the answer", e);
        }
    }

    private ResponseEntity<byte[]> finish(String table, String op, String key, CompletableFuture<Answer> done) {
        Answer answer;
        try {
            answer = done.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            answer = recover(
                    table, op, key, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
        }
        metrics.count(table, op, answer.outcome());
        return answer.response();
    }

    private Answer recover(String table, String op, String key, Throwable t) {
        if (t instanceof RequestRefusedException e) {
            return failure(FailureResponse.refused(e.status(), e.code(), e.getMessage(), e.field(), table, e.index()));
        }
        if (t instanceof CisternException e) {
            if (e instanceof InvalidRecordException || e instanceof RetryableException) {
                // The client's to fix or to retry, and counted in the metrics; under backpressure or while Redis is
                // away every request would log, so only at debug level.
                LOG.debug("{} {}/{} refused with {}: {}", op, table, key, e.code(), e.getMessage());
            } else {
                LOG.warn("{} {}/{} failed with {}: {}", op, table, key, e.code(), e.getMessage());
            }
            return failure(FailureResponse.of(e, table));
        }
        LOG.error("{} {}/{} failed unexpectedly", op, table, key, t);
        return failure(FailureResponse.internal(
                "the write failed with an unexpected error; nothing is known to have been stored, see the service log",
                table));
    }

    private CompletableFuture<Answer> single(Operation op, String table, HttpServletRequest request) {
        // Parameters first: a request refused for a bad timeout writes nothing.
        Optional<Duration> wait = SyncWait.fromQuery(request.getQueryString());
        RecordKey key = WriteRequestParser.key(table, WriteRequestParser.rawKeySegment(request.getRequestURI()));
        Map<String, JsonNode> columns = op == Operation.DELETE
                ? Map.of()
                : WriteRequestParser.columns(WriteRequestParser.object(body(request)));
        WriteReceipt receipt = writer.write(new Write(op, table, key, columns));
        if (wait.isEmpty()) {
            return CompletableFuture.completedFuture(
                    new Answer(json(ResponseEntity.accepted(), receiptJson(receipt)), "accepted"));
        }
        return writer.awaitSyncedAsync(receipt, wait.get()).handle((outcome, failure) -> {
            SyncResult result = SyncResult.of(receipt, outcome, failure);
            ObjectNode body = result.json();
            return new Answer(json(ResponseEntity.status(result.status()), body), result.outcome());
        });
    }

    private CompletableFuture<Answer> writeBatch(String table, HttpServletRequest request) {
        Optional<Duration> wait = SyncWait.fromQuery(request.getQueryString());
        List<Write> writes = WriteRequestParser.batch(table, WriteRequestParser.object(body(request)));
        BatchReceipt batch;
        try {
            batch = writer.writeAll(writes);
        } catch (InvalidRecordException e) {
            return CompletableFuture.completedFuture(failure(FailureResponse.of(e, table)));
        }
        if (batch.allSucceeded() && wait.isPresent()) {
            return awaitBatch(batch, wait.get());
        }
        ObjectNode body = ExactJson.mapper().createObjectNode();
        body.put("accepted", writes.size() - batch.failures().size());
        body.put("failed", batch.failures().size());
        ArrayNode results = body.putArray("results");
        long retryAfter = 0;
        boolean allRetryable = true;
        for (int i = 0; i < writes.size(); i++) {
            Optional<WriteReceipt> receipt = batch.receipts().get(i);
            if (receipt.isPresent()) {
                results.add(receiptJson(receipt.get()));
            } else {
                CisternException e = batch.failures().get(i);
                FailureResponse f = FailureResponse.of(e, table, i);
                ObjectNode error = f.toJson();
                error.put("status", f.status());
                results.add(error);
                allRetryable &= e instanceof RetryableException;
                retryAfter = Math.max(retryAfter, f.retryAfter().orElse(0));
            }
        }
        if (batch.allSucceeded()) {
            return CompletableFuture.completedFuture(new Answer(json(ResponseEntity.accepted(), body), "accepted"));
        }
        LOG.debug(
                "batch of {} writes to {}: {} accepted, {} refused (first: {})",
                writes.size(),
                table,
                writes.size() - batch.failures().size(),
                batch.failures().size(),
                batch.failures().values().iterator().next().getMessage());
        if (batch.failures().size() == writes.size() && allRetryable) {
            // Nothing was written and all of it may succeed later: the same answer as a refused single write.
            return CompletableFuture.completedFuture(new Answer(
                    json(ResponseEntity.status(503).header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter)), body),
                    batch.failures().values().iterator().next().code()));
        }
        // Some writes are stored and some are not: 207 with one result per write, so the client retries only those.
        // It does not wait for the stored ones to be synced: the client has to act on the refused ones first.
        return CompletableFuture.completedFuture(new Answer(json(ResponseEntity.status(207), body), "partial"));
    }

    /**
     * Waits for every write of a fully accepted batch, all at once with one timeout: 200 when all are synced, else
     * 422 when any was dead-lettered, else 504. One result per write, each with {@code "synced"}.
     */
    private CompletableFuture<Answer> awaitBatch(BatchReceipt batch, Duration timeout) {
        List<WriteReceipt> receipts =
                batch.receipts().stream().map(Optional::orElseThrow).toList();
        List<CompletableFuture<SyncResult>> waits = receipts.stream()
                .map(r -> writer.awaitSyncedAsync(r, timeout).handle((o, t) -> SyncResult.of(r, o, t)))
                .toList();
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            ObjectNode body = ExactJson.mapper().createObjectNode();
            body.put("accepted", receipts.size());
            body.put("failed", 0);
            ArrayNode results = body.putArray("results");
            int synced = 0;
            boolean deadLettered = false;
            String firstProblem = null;
            for (CompletableFuture<SyncResult> w : waits) {
                SyncResult r = w.join();
                results.add(r.json());
                synced += r.status() == 200 ? 1 : 0;
                deadLettered |= r.status() == 422;
                if (firstProblem == null && r.status() != 200) {
                    firstProblem = r.outcome();
                }
            }
            body.put("synced", synced);
            int status = synced == receipts.size() ? 200 : deadLettered ? 422 : 504;
            String outcome = status == 200 ? "synced" : deadLettered ? DeadLetteredException.CODE : firstProblem;
            return new Answer(json(ResponseEntity.status(status), body), outcome);
        });
    }

    /** The answer to one awaited write: its status, and its receipt with {@code "synced"} and, if not, the error. */
    private record SyncResult(int status, String outcome, ObjectNode json) {
        static SyncResult of(WriteReceipt receipt, SyncOutcome outcome, Throwable failure) {
            ObjectNode json = receiptJson(receipt);
            if (failure == null) {
                json.put("synced", true);
                json.put("appliedWatermark", outcome.appliedWatermark());
                return new SyncResult(200, "synced", json);
            }
            Throwable t =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            json.put("synced", false);
            if (t instanceof DeadLetteredException d) {
                json.put("error", d.code());
                json.put("message", d.getMessage());
                json.put("reason", d.reason());
                json.put("sqlstate", d.sqlState());
                json.put("deadLetterId", d.deadLetterId());
                return new SyncResult(422, d.code(), json);
            }
            if (t instanceof CisternException e) {
                json.put("error", e.code());
                json.put("message", e.getMessage());
                if (e instanceof SyncTimeoutException timeout) {
                    timeout.appliedWatermark().ifPresent(w -> json.put("appliedWatermark", w));
                }
                // Retryable (a timeout, Redis failing while checking): the write is stored, only the answer is late.
                return new SyncResult(e.retryable() ? 504 : 500, e.code(), json);
            }
            LOG.error("waiting for {} to be synced failed unexpectedly", receipt.entryId(), t);
            json.put("error", "INTERNAL");
            json.put("message", "waiting for the write to be synced failed unexpectedly; the write itself is stored");
            return new SyncResult(500, "INTERNAL", json);
        }
    }

    private byte[] body(HttpServletRequest request) {
        try {
            return WriteRequestParser.readBody(
                    request.getInputStream(), request.getContentLengthLong(), settings.maxBodyBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request body", e);
        }
    }

    private static Answer failure(FailureResponse f) {
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(f.status());
        f.retryAfter().ifPresent(s -> builder.header(HttpHeaders.RETRY_AFTER, Long.toString(s)));
        if (f.status() == 401) {
            builder.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"cistern-writer\"");
        }
        return new Answer(json(builder, f.toJson()), f.code());
    }

    private static ObjectNode receiptJson(WriteReceipt r) {
        ObjectNode json = ExactJson.mapper().createObjectNode();
        json.put("table", r.table());
        json.put("key", r.key());
        json.put("op", r.op().wire());
        json.put("partition", r.partition());
        json.put("version", r.version());
        json.put("entryId", r.entryId());
        return json;
    }

    private static ResponseEntity<byte[]> json(ResponseEntity.BodyBuilder builder, ObjectNode body) {
        return builder.contentType(MediaType.APPLICATION_JSON)
                .body(ExactJson.mapper().writeValueAsBytes(body));
    }

    private static String keyForLog(HttpServletRequest request) {
        return WriteRequestParser.rawKeySegment(request.getRequestURI());
    }
}
