package io.cistern.schema.failure;

import java.time.Duration;
import java.util.OptionalLong;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a refused request is answered over HTTP, by the writer's and the reader's service alike: the status, the {@code
 * Retry-After} header, and the JSON body
 * {@code {"error", "message", "retryable", "mayHaveBeenApplied", "field", "table", "index", "retryAfterSeconds"}}
 * ({@code field}, {@code table}, {@code index} and {@code retryAfterSeconds} only when known). The one place that
 * maps Cistern's exceptions to statuses:
 *
 * <ul>
 *   <li>404 — unknown table ({@code UNKNOWN_TABLE});
 *   <li>413 — a value too large ({@code VALUE_TOO_LARGE}), a batch of more writes than the writer accepts ({@code
 *       BATCH_TOO_LARGE});
 *   <li>409 — a patch of a record Redis knows is deleted ({@code RECORD_DELETED});
 *   <li>422 — any other invalid record: unknown column, wrong type, missing or malformed key, NOT NULL column missing,
 *       empty patch, a value a CHECK constraint refuses ({@code CHECK_VIOLATION});
 *   <li>503 with {@code Retry-After} (whole seconds, rounded up, at least 1) — any {@link RetryableException}:
 *       backpressure, Redis or PostgreSQL unreachable, a partition being re-seeded, a Redis timeout. Nothing was done,
 *       except when {@code mayHaveBeenApplied} is true ({@code REDIS_TIMEOUT} of a write, {@code
 *       REPLICA_WAIT_TIMEOUT}: see {@link RetryableException#outcomeUnknown()});
 *   <li>500 — any other permanent failure (for example Cistern not initialised in this Redis);
 *   <li>what the service itself refuses before Cistern sees the request ({@link #refused}): 400, 401, 413.
 * </ul>
 *
 * @param status the HTTP status
 * @param code the machine-readable code, such as {@code UNKNOWN_COLUMN}
 * @param message what went wrong and what to change; never a secret
 * @param field the offending field (a column, {@code key}, {@code table}, {@code body}), or null
 * @param table the table of the request, or null
 * @param index the index of the offending write of a batch, or null
 * @param retryable whether the same request may succeed later, unchanged
 * @param mayHaveBeenApplied whether the request may have been carried out although it failed
 * @param retryAfter when to retry, in whole seconds, for a retryable failure; else empty
 */
public record FailureResponse(
        int status,
        String code,
        String message,
        String field,
        String table,
        Integer index,
        boolean retryable,
        boolean mayHaveBeenApplied,
        OptionalLong retryAfter) {

    /** The answer to {@code e}, for a request naming {@code requestTable}; the batch index is the exception's. */
    public static FailureResponse of(CisternException e, String requestTable) {
        Integer index = e instanceof InvalidRecordException invalid
                        && invalid.batchIndex().isPresent()
                ? Integer.valueOf(invalid.batchIndex().getAsInt())
                : null;
        return of(e, requestTable, index);
    }

    /** The answer to {@code e}, which refused write number {@code index} of a batch (or null). */
    public static FailureResponse of(CisternException e, String requestTable, Integer index) {
        String field = null;
        String table = requestTable;
        int status;
        if (e instanceof InvalidRecordException invalid) {
            field = invalid.field();
            if (invalid.table() != null) {
                table = invalid.table();
            }
            status = switch (invalid.reason()) {
                case UNKNOWN_TABLE -> 404;
                case VALUE_TOO_LARGE, BATCH_TOO_LARGE -> 413;
                case RECORD_DELETED -> 409;
                default -> 422;
            };
        } else if (e instanceof RetryableException) {
            status = 503;
        } else {
            status = 500;
        }
        OptionalLong retryAfter = OptionalLong.empty();
        boolean mayHaveBeenApplied = false;
        if (e instanceof RetryableException r) {
            retryAfter = OptionalLong.of(retryAfterSeconds(r.retryAfter()));
            mayHaveBeenApplied = r.outcomeUnknown();
        }
        return new FailureResponse(
                status, e.code(), e.getMessage(), field, table, index, e.retryable(), mayHaveBeenApplied, retryAfter);
    }

    /**
     * A request the service refused itself, before Cistern saw it (a malformed body, a missing token): nothing was
     * done, and the same request fails again.
     */
    public static FailureResponse refused(
            int status, String code, String message, String field, String table, Integer index) {
        return new FailureResponse(status, code, message, field, table, index, false, false, OptionalLong.empty());
    }

    /**
     * An unexpected failure (a bug): 500 {@code INTERNAL}. {@code message} says what is known of the outcome and points
     * at the service log.
     */
    public static FailureResponse internal(String message, String table) {
        return new FailureResponse(500, "INTERNAL", message, null, table, null, false, false, OptionalLong.empty());
    }

    /** Whole seconds, rounded up, at least 1: {@code Retry-After} has no fractions, and 0 invites a busy loop. */
    public static long retryAfterSeconds(Duration d) {
        long millis = Math.max(0, d.toMillis());
        return Math.max(1, (millis + 999) / 1000);
    }

    /** The JSON body. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("error", code);
        json.put("message", message);
        json.put("retryable", retryable);
        json.put("mayHaveBeenApplied", mayHaveBeenApplied);
        if (field != null) {
            json.put("field", field);
        }
        if (table != null) {
            json.put("table", table);
        }
        if (index != null) {
            json.put("index", index.intValue());
        }
        if (retryAfter.isPresent()) {
            json.put("retryAfterSeconds", retryAfter.getAsLong());
        }
        return json;
    }
}
