package io.cistern.schema.failure;

/** The root of Cistern's operational exceptions. Programming errors use the JDK's own types instead. */
public abstract sealed class CisternException extends RuntimeException permits RetryableException, PermanentException {
    private final String code;

    CisternException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** A stable, machine-readable code such as {@code BACKPRESSURE} or {@code UNKNOWN_COLUMN}. */
    public String code() {
        return code;
    }

    /** Whether the same request may succeed later without any change. */
    public abstract boolean retryable();
}
