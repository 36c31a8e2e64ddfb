package io.cistern.schema.failure;

/** The request cannot succeed as it is: retrying it unchanged fails the same way. */
public non-sealed class PermanentException extends CisternException {
    public PermanentException(String code, String message, Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public final boolean retryable() {
        return false;
    }
}
