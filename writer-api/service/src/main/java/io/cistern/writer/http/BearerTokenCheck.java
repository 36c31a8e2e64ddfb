package io.cistern.writer.http;

import io.cistern.connections.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Checks the {@code Authorization: Bearer <token>} header of a write against the configured token.
 *
 * <p>Both tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken reveals neither
 * how much of a guess was right nor the token's length. Refusals never repeat what the client sent. Thread-safe
 * (immutable).
 */
final class BearerTokenCheck {
    private static final String SCHEME = "bearer ";

    private final Optional<byte[]> expectedDigest;

    BearerTokenCheck(Optional<Secret> token) {
        this.expectedDigest = token.map(t -> sha256(t.reveal()));
    }

    boolean enabled() {
        return expectedDigest.isPresent();
    }

    /**
     * Passes when authentication is off or the header carries the token.
     *
     * @throws RequestRefusedException with status 401 otherwise
     */
    void check(String authorizationHeader) {
        if (expectedDigest.isEmpty()) {
            return;
        }
        if (authorizationHeader == null
                || authorizationHeader.length() <= SCHEME.length()
                || !authorizationHeader.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw RequestRefusedException.unauthorized(
                    "this service requires a bearer token: send the header `Authorization: Bearer <token>` with the"
                            + " token configured in CISTERN_WRITER_TOKEN");
        }
        byte[] given = sha256(authorizationHeader.substring(SCHEME.length()).strip());
        if (!MessageDigest.isEqual(expectedDigest.get(), given)) {
            throw RequestRefusedException.unauthorized(
                    "the bearer token is not valid: send the token configured in CISTERN_WRITER_TOKEN");
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
