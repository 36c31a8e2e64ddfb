package io.cistern.writer.http;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a refused write is answered over HTTP: the status, and the JSON body {@code {"error", "message", "field",
 * "table"}} (plus {@code "index"} for a write of a batch). The one place that maps Cistern's exceptions to statuses:
 *
 * <ul>
 *   <li>404 — unknown table;
 *   <li>413 — a value too large;
 *   <li>409 — a patch of a record Redis knows is deleted;
 *   <li>422 — any other invalid record: unknown column, wrong type, missing or malformed key, NOT NULL column missing,
 *       empty patch;
 *   <li>503 with {@code Retry-After} (whole seconds, rounded up) — any {@link RetryableException}: backpressure, Redis
 *       unreachable, a partition being re-seeded;
 *   <li>500 — any other permanent failure (for example Cistern not initialised in this Redis).
 * </ul>
 *
 * @param status the HTTP status
 * @param code the machine-readable code, such as {@code UNKNOWN_COLUMN}
 * @param message what went wrong and what to change; never a secret
 * @param field the offending field (a column, {@code key}, {@code table}, {@code body}), or null
 * @param table the table of the request, or null
 * @param index the index of the offending write in a batch, or null
 * @param retryAfter when to retry, for a 503; else empty
 */
record HttpFailure(
        int status, String code, String message, String field, String table, Integer index, OptionalLong retryAfter) {

    /**
     * {@link io.cistern.writer.RecordWriter#writeAll} names the index of the invalid write only in its message
     * ({@code "write 3 of the batch: ..."}); {@link InvalidRecordException} has no index of its own. Read it from there,
     * and leave the index out if the wording ever changes (the message still names it).
     */
    private static final Pattern BATCH_INDEX = Pattern.compile("^write (\\d+) of the batch: ");

    static HttpFailure of(CisternException e, String requestTable) {
        return of(e, requestTable, null);
    }

    static HttpFailure of(CisternException e, String requestTable, Integer index) {
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
                case VALUE_TOO_LARGE -> 413;
                case RECORD_DELETED -> 409;
                default -> 422;
            };
        } else if (e instanceof RetryableException) {
            status = 503;
        } else {
            status = 500;
        }
        OptionalLong retryAfter = e instanceof RetryableException r
                ? OptionalLong.of(retryAfterSeconds(r.retryAfter()))
                : OptionalLong.empty();
        return new HttpFailure(status, e.code(), e.getMessage(), field, table, index, retryAfter);
    }

    /** A refusal of a batch by {@code writeAll}: the index comes from the message, where the writer puts it. */
    static HttpFailure ofBatchRefusal(InvalidRecordException e, String requestTable) {
        Matcher m = BATCH_INDEX.matcher(e.getMessage() == null ? "" : e.getMessage());
        return of(e, requestTable, m.find() ? Integer.valueOf(m.group(1)) : null);
    }

    static HttpFailure of(RequestRefusedException e, String requestTable) {
        return new HttpFailure(
                e.status(), e.code(), e.getMessage(), e.field(), requestTable, e.index(), OptionalLong.empty());
    }

    static HttpFailure internal(String requestTable) {
        return new HttpFailure(
                500,
                "INTERNAL",
                "the write failed with an unexpected error; nothing is known to have been stored, see the service log",
                null,
                requestTable,
                null,
                OptionalLong.empty());
    }

    /** Whole seconds, rounded up, at least 1: {@code Retry-After} has no fractions, and 0 invites a busy loop. */
    static long retryAfterSeconds(Duration d) {
        long millis = Math.max(0, d.toMillis());
        return Math.max(1, (millis + 999) / 1000);
    }

    ObjectNode toJson() {
        ObjectNode json = ExactJson.mapper().createObjectNode();
        json.put("error", code);
        json.put("message", message);
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
