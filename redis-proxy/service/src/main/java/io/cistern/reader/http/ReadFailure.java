package io.cistern.reader.http;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.OptionalLong;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a failed read is answered over HTTP: the status and the JSON body {@code {"error", "message", "field",
 * "table"}}. The one place that maps the reader's exceptions to statuses:
 *
 * <ul>
 *   <li>404 {@code UNKNOWN_TABLE} — the table is not registered;
 *   <li>422 — a missing or malformed key ({@code MISSING_KEY}, {@code MALFORMED_KEY});
 *   <li>400 {@code BAD_REQUEST} — a malformed request: query parameter, batch body, too many keys;
 *   <li>503 with {@code Retry-After} (whole seconds, rounded up) — any {@link RetryableException}: the read needs
 *       PostgreSQL and it is down or too slow ({@code DATABASE_UNAVAILABLE}), or Redis is unreachable;
 *   <li>500 — any other failure.
 * </ul>
 *
 * (A record that does not exist is not a failure: 404 {@code NOT_FOUND}, answered by the controller.)
 */
record ReadFailure(int status, String code, String message, String field, String table, OptionalLong retryAfter) {

    static ReadFailure of(CisternException e, String requestTable) {
        String field = null;
        String table = requestTable;
        int status;
        if (e instanceof InvalidRecordException invalid) {
            field = invalid.field();
            if (invalid.table() != null) {
                table = invalid.table();
            }
            status = invalid.reason() == InvalidRecordException.Reason.UNKNOWN_TABLE ? 404 : 422;
        } else if (e instanceof RetryableException) {
            status = 503;
        } else {
            status = 500;
        }
        OptionalLong retryAfter = e instanceof RetryableException r
                ? OptionalLong.of(retryAfterSeconds(r.retryAfter()))
                : OptionalLong.empty();
        return new ReadFailure(status, e.code(), e.getMessage(), field, table, retryAfter);
    }

    static ReadFailure badRequest(String message, String table) {
        return new ReadFailure(400, "BAD_REQUEST", message, null, table, OptionalLong.empty());
    }

    static ReadFailure internal(String table) {
        return new ReadFailure(
                500,
                "INTERNAL",
                "the read failed with an unexpected error; see the service log",
                null,
                table,
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
        if (retryAfter.isPresent()) {
            json.put("retryAfterSeconds", retryAfter.getAsLong());
        }
        return json;
    }
}
