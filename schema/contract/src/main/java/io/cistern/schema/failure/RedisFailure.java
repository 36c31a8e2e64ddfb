package io.cistern.schema.failure;

/**
 * A classified Redis failure.
 *
 * @param kind what it means for the caller
 * @param prefix the error reply's prefix (its first word, upper-case, such as {@code CISTERN_BACKPRESSURE} or {@code
 *     OOM}), or empty when the failure is not an error reply
 * @param reply the whole error reply, or empty when the failure is not an error reply
 * @param failure the failure itself, unwrapped from {@code CompletionException} and {@code ExecutionException}
 */
public record RedisFailure(RedisFailureKind kind, String prefix, String reply, Throwable failure) {
    /** Whether Redis answered with an error reply (rather than the connection failing or no answer coming). */
    public boolean isErrorReply() {
        return !reply.isEmpty();
    }

    /** The text of the reply after its prefix, or empty. */
    public String detail() {
        int space = reply.indexOf(' ');
        return space < 0 ? "" : reply.substring(space + 1);
    }
}
