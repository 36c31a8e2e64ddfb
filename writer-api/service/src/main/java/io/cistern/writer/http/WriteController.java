package io.cistern.writer.http;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.writer.BatchReceipt;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The write endpoints. Each request is authenticated, its body read (bounded) and parsed exactly, handed to the {@link
 * RecordWriter}, answered with {@code 202 Accepted} and the receipt, or with an error JSON (see {@link HttpFailure}),
 * and counted in {@link RequestMetrics}. Errors are handled here rather than in a controller advice so that every
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
        this.auth = new BearerTokenCheck(settings.token());
        this.metrics = metrics;
    }

    @PutMapping(RECORD)
    ResponseEntity<byte[]> put(@PathVariable String table, HttpServletRequest request) {
        return handle(table, Operation.PUT.wire(), request, () -> single(Operation.PUT, table, request));
    }

    @PatchMapping(RECORD)
    ResponseEntity<byte[]> patch(@PathVariable String table, HttpServletRequest request) {
        return handle(table, Operation.PATCH.wire(), request, () -> single(Operation.PATCH, table, request));
    }

    /** A delete takes no body; one that is sent is not read. */
    @DeleteMapping(RECORD)
    ResponseEntity<byte[]> delete(@PathVariable String table, HttpServletRequest request) {
        return handle(table, Operation.DELETE.wire(), request, () -> single(Operation.DELETE, table, request));
    }

    @PostMapping(BATCH)
    ResponseEntity<byte[]> batch(@PathVariable String table, HttpServletRequest request) {
        return handle(table, "batch", request, () -> writeBatch(table, request));
    }

    private record Answer(ResponseEntity<byte[]> response, String outcome) {}

    private ResponseEntity<byte[]> handle(
            String table, String op, HttpServletRequest request, Supplier<Answer> action) {
        Answer answer;
        try {
            auth.check(request.getHeader(HttpHeaders.AUTHORIZATION));
            answer = action.get();
        } catch (RequestRefusedException e) {
            answer = failure(HttpFailure.of(e, table));
        } catch (CisternException e) {
            answer = failure(HttpFailure.of(e, table));
            if (e instanceof InvalidRecordException || e instanceof RetryableException) {
                // The client's to fix or to retry, and counted in the metrics; under backpressure or while Redis is
                // away every request would log, so only at debug level.
                LOG.debug("{} {}/{} refused with {}: {}", op, table, keyForLog(request), e.code(), e.getMessage());
            } else {
                LOG.warn("{} {}/{} failed with {}: {}", op, table, keyForLog(request), e.code(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("{} {}/{} failed unexpectedly", op, table, keyForLog(request), e);
            answer = failure(HttpFailure.internal(table));
        }
        metrics.count(table, op, answer.outcome());
        return answer.response();
    }

    private Answer single(Operation op, String table, HttpServletRequest request) {
        RecordKey key = WriteRequestParser.key(table, WriteRequestParser.rawKeySegment(request.getRequestURI()));
        Map<String, JsonNode> columns = op == Operation.DELETE
                ? Map.of()
                : WriteRequestParser.columns(WriteRequestParser.object(body(request)));
        WriteReceipt receipt = writer.write(new Write(op, table, key, columns));
        return new Answer(json(ResponseEntity.accepted(), receiptJson(receipt)), "accepted");
    }

    private Answer writeBatch(String table, HttpServletRequest request) {
        List<Write> writes = WriteRequestParser.batch(table, WriteRequestParser.object(body(request)));
        BatchReceipt batch;
        try {
            batch = writer.writeAll(writes);
        } catch (InvalidRecordException e) {
            return failure(HttpFailure.ofBatchRefusal(e, table));
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
                HttpFailure f = HttpFailure.of(e, table, i);
                ObjectNode error = f.toJson();
                error.put("status", f.status());
                results.add(error);
                allRetryable &= e instanceof RetryableException;
                retryAfter = Math.max(retryAfter, f.retryAfter().orElse(0));
            }
        }
        if (batch.allSucceeded()) {
            return new Answer(json(ResponseEntity.accepted(), body), "accepted");
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
            return new Answer(
                    json(ResponseEntity.status(503).header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter)), body),
                    batch.failures().values().iterator().next().code());
        }
        // Some writes are stored and some are not: 207 with one result per write, so the client retries only those.
        return new Answer(json(ResponseEntity.status(207), body), "partial");
    }

    private byte[] body(HttpServletRequest request) {
        try {
            return WriteRequestParser.readBody(
                    request.getInputStream(), request.getContentLengthLong(), settings.maxBodyBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the request body", e);
        }
    }

    private static Answer failure(HttpFailure f) {
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
