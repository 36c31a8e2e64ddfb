package io.cistern.writer.http;

/**
 * A request refused by the HTTP layer itself, before it reached the {@link io.cistern.writer.RecordWriter}: a body that
 * is not JSON, not an object or too large, a batch of the wrong shape, a missing or wrong bearer token. Carries what the
 * error response needs.
 */
final class RequestRefusedException extends RuntimeException {
    private final int status;
    private final String code;
    private final String field;
    private final Integer index;

    RequestRefusedException(int status, String code, String field, Integer index, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
        this.index = index;
    }

    static RequestRefusedException badRequest(String code, String field, String message) {
        return new RequestRefusedException(400, code, field, null, message);
    }

    static RequestRefusedException unauthorized(String message) {
        return new RequestRefusedException(401, "UNAUTHORIZED", null, null, message);
    }

    static RequestRefusedException bodyTooLarge(long size, int limit) {
        return new RequestRefusedException(
                413,
                "BODY_TOO_LARGE",
                "body",
                null,
                "the request body is " + (size < 0 ? "more than " + limit : Long.toString(size))
                        + " bytes, more than the limit of " + limit
                        + " bytes (CISTERN_WRITER_MAX_BODY_BYTES): split the batch or raise the limit");
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    /** The offending field, or null. */
    String field() {
        return field;
    }

    /** The index of the offending write of a batch, or null. */
    Integer index() {
        return index;
    }
}
