package io.cistern.reader.http;

import io.cistern.connections.BearerTokenCheck;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The read endpoints over a {@link CachedReader}.
 *
 * <ul>
 *   <li>{@code GET /v1/tables/{table}/records/{id}[?minVersion=N]} — 200 with {@code {"table", "key", "version",
 *       "record": {column: value}}} (every column, key columns included, as the canonical JSON of its type: exact
 *       numbers, ISO timestamps; the same bytes from every tier), and {@code "pending": [column, ...]} while a put not
 *       yet synced leaves columns to their database defaults; an
 *       {@code ETag} holding the version, and {@code Cistern-Tier: local|redis|database}; 304 when {@code If-None-Match}
 *       names that version; 404 {@code NOT_FOUND} when the record does not exist (or was deleted, synced or not);
 *   <li>{@code POST /v1/tables/{table}/records:get} with {@code {"keys": [id, ...]}} — 200 with one result per key, in
 *       order: {@code {"key", "found", "version", "tier", "record"}}, with {@code "pending"} as for a single read.
 * </ul>
 *
 * Keys are in their encoded text form ({@link io.cistern.schema.keys.KeyEncoding}); the key is read from the raw
 * request URI, so {@code %2C} and {@code %2F} inside a component stay where they are. Failures: {@link FailureResponse}.
 * Every request is counted in {@code cistern.proxy.requests} (tags {@code op} = get|batch, {@code outcome}).
 * Thread-safe (stateless; the reader is thread-safe).
 */
@RestController
final class ReadController {
    private static final Logger LOG = LoggerFactory.getLogger(ReadController.class);
    static final String TIER_HEADER = "Cistern-Tier";
    /** The variable holding the bearer token reads must carry (or {@code CISTERN_READER_TOKEN_FILE}, a file). */
    static final String TOKEN = "CISTERN_READER_TOKEN";

    private static final String RECORD = "/v1/tables/{table}/records/{id}";
    private static final String BATCH = "/v1/tables/{table}/records:get";
    private static final int MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;

    private final CachedReader reader;
    private final MeterRegistry meters;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final BearerTokenCheck auth;

    ReadController(CachedReader reader, MeterRegistry meters, BearerTokenCheck auth) {
        this.reader = reader;
        this.meters = meters;
        this.auth = auth;
    }

    @GetMapping(RECORD)
    ResponseEntity<byte[]> get(@PathVariable String table, HttpServletRequest request) {
        Optional<ResponseEntity<byte[]>> refused = refused("get", request);
        if (refused.isPresent()) {
            return refused.get();
        }
        String key = rawKeySegment(request.getRequestURI());
        try {
            long minVersion = minVersion(request.getParameter("minVersion"));
            ReadResult result = reader.get(table, key, minVersion);
            String tier = result.tier().label();
            if (!(result instanceof ReadResult.Found found)) {
                count("get", "not_found");
                StringBuilder body = new StringBuilder("{\"error\":\"NOT_FOUND\",\"message\":");
                appendString(body, "record " + key + " of table '" + table + "' does not exist");
                body.append(",\"table\":");
                appendString(body, table);
                body.append(",\"key\":");
                appendString(body, key);
                if (result.version() > 0) {
                    body.append(",\"version\":").append(result.version());
                }
                body.append('}');
                return json(ResponseEntity.status(404).header(TIER_HEADER, tier), body);
            }
            String etag = "\"" + found.version() + "\"";
            if (matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), found.version())) {
                count("get", "not_modified");
                return ResponseEntity.status(304)
                        .eTag(etag)
                        .header(TIER_HEADER, tier)
                        .cacheControl(org.springframework.http.CacheControl.noCache())
                        .build();
            }
            count("get", "found");
            StringBuilder body = new StringBuilder(256);
            body.append("{\"table\":");
            appendString(body, found.table());
            body.append(",\"key\":");
            appendString(body, found.key());
            body.append(",\"version\":").append(found.version()).append(",\"record\":");
            body.append(found.recordJson());
            appendPending(body, found);
            body.append('}');
            return json(
                    ResponseEntity.ok()
                            .eTag(etag)
                            .header(TIER_HEADER, tier)
                            .cacheControl(org.springframework.http.CacheControl.noCache()),
                    body);
        } catch (RuntimeException e) {
            return failure("get", table, key, e);
        }
    }

    @PostMapping(BATCH)
    ResponseEntity<byte[]> getAll(@PathVariable String table, HttpServletRequest request) {
        Optional<ResponseEntity<byte[]>> refused = refused("batch", request);
        if (refused.isPresent()) {
            return refused.get();
        }
        try {
            List<String> keys = keys(request, table);
            List<ReadResult> results = reader.getAll(table, keys);
            StringBuilder body = new StringBuilder(128 * results.size() + 16);
            body.append("{\"results\":[");
            int found = 0;
            for (int i = 0; i < results.size(); i++) {
                ReadResult r = results.get(i);
                if (i > 0) {
                    body.append(',');
                }
                body.append("{\"key\":");
                appendString(body, r.key());
                body.append(",\"found\":").append(r.found());
                body.append(",\"version\":").append(r.version());
                body.append(",\"tier\":\"").append(r.tier().label()).append('"');
                if (r instanceof ReadResult.Found f) {
                    found++;
                    body.append(",\"record\":").append(f.recordJson());
                    appendPending(body, f);
                }
                body.append('}');
            }
            body.append("],\"found\":").append(found).append(",\"absent\":").append(results.size() - found);
            body.append('}');
            count("batch", "ok");
            return json(ResponseEntity.ok(), body);
        } catch (RuntimeException e) {
            return failure("batch", table, null, e);
        }
    }

    private ResponseEntity<byte[]> failure(String op, String table, String key, RuntimeException e) {
        FailureResponse f;
        if (e instanceof CisternException ce) {
            f = FailureResponse.of(ce, table);
            if (ce.retryable() || ce instanceof io.cistern.schema.failure.InvalidRecordException) {
                LOG.debug("{} {}/{} refused with {}: {}", op, table, key, ce.code(), ce.getMessage());
            } else {
                LOG.warn("{} {}/{} failed with {}: {}", op, table, key, ce.code(), ce.getMessage());
            }
        } else if (e instanceof IllegalArgumentException bad) {
            f = FailureResponse.refused(400, "BAD_REQUEST", bad.getMessage(), null, table, null);
        } else {
            LOG.error("{} {}/{} failed unexpectedly", op, table, key, e);
            f = FailureResponse.internal("the read failed with an unexpected error; see the service log", table);
        }
        count(op, f.code().toLowerCase(java.util.Locale.ROOT));
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(f.status());
        f.retryAfter().ifPresent(s -> builder.header(HttpHeaders.RETRY_AFTER, Long.toString(s)));
        return builder.contentType(MediaType.APPLICATION_JSON)
                .body(ExactJson.mapper().writeValueAsBytes(f.toJson()));
    }

    /** The keys of a batch body {@code {"keys": ["k1", ...]}}. */
    private static List<String> keys(HttpServletRequest request, String table) {
        JsonNode body;
        try (InputStream in = request.getInputStream()) {
            byte[] bytes = in.readNBytes(MAX_BATCH_BODY_BYTES + 1);
            if (bytes.length > MAX_BATCH_BODY_BYTES) {
                throw new IllegalArgumentException(
                        "the body is larger than " + MAX_BATCH_BODY_BYTES + " bytes; split the batch");
            }
            body = ExactJson.mapper().readTree(bytes);
        } catch (IOException | JacksonException e) {
            throw new IllegalArgumentException("the body is not JSON: send {\"keys\": [\"<encoded key>\", ...]}", e);
        }
        JsonNode keys = body == null ? null : body.get("keys");
        if (keys == null || !keys.isArray()) {
            throw new IllegalArgumentException(
                    "the body needs \"keys\": an array of encoded keys of table '" + table + "'");
        }
        List<String> list = new ArrayList<>(keys.size());
        for (JsonNode k : keys) {
            if (!k.isString()) {
                throw new IllegalArgumentException("\"keys\"[" + list.size() + "] is not a string: " + k);
            }
            list.add(k.stringValue());
        }
        return list;
    }

    private static long minVersion(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        try {
            long v = Long.parseLong(text);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the message below says what is wanted
        }
        throw new IllegalArgumentException(
                "minVersion must be a non-negative whole number (the version of a write receipt), was '" + text + "'");
    }

    /** Whether an {@code If-None-Match} header names {@code version} (strong or weak), or is {@code *}. */
    static boolean matches(String ifNoneMatch, long version) {
        if (ifNoneMatch == null) {
            return false;
        }
        String wanted = "\"" + version + "\"";
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /** The last path segment, still percent-encoded: the key as its canonical encoding. */
    static String rawKeySegment(String requestUri) {
        return requestUri.substring(requestUri.lastIndexOf('/') + 1);
    }

    /** {@code ,"pending":["column", ...]} when a put not yet synced left columns to their database defaults. */
    private static void appendPending(StringBuilder body, ReadResult.Found found) {
        List<String> pending = found.pending();
        if (pending.isEmpty()) {
            return;
        }
        body.append(",\"pending\":[");
        for (int i = 0; i < pending.size(); i++) {
            body.append(i == 0 ? "\"" : ",\"").append(pending.get(i)).append('"');
        }
        body.append(']');
    }

    private static void appendString(StringBuilder body, String s) {
        body.append(ExactJson.mapper().writeValueAsString(s));
    }

    private void count(String op, String outcome) {
        counters.computeIfAbsent(
                        op + '\n' + outcome,
                        k -> Counter.builder("cistern.proxy.requests")
                                .description("HTTP read requests, by operation and outcome")
                                .tag("op", op)
                                .tag("outcome", outcome)
                                .register(meters))
                .increment();
    }

    private static ResponseEntity<byte[]> json(ResponseEntity.BodyBuilder builder, StringBuilder body) {
        return builder.contentType(MediaType.APPLICATION_JSON)
                .body(body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A 401 answer when the request lacks the configured bearer token; the refusal never repeats what was sent. */
    private Optional<ResponseEntity<byte[]>> refused(String op, HttpServletRequest request) {
        return auth.refusal(request.getHeader(HttpHeaders.AUTHORIZATION)).map(reason -> {
            count(op, "unauthorized");
            StringBuilder body = new StringBuilder("{\"error\":\"UNAUTHORIZED\",\"message\":");
            appendString(body, reason);
            body.append('}');
            return json(
                    ResponseEntity.status(401).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"cistern-reader\""),
                    body);
        });
    }
}
