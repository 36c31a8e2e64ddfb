package io.cistern.connections;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks the {@code Authorization: Bearer <token>} header of a request against the token configured in one variable
 * (for example {@code CISTERN_WRITER_TOKEN} for writes, {@code CISTERN_READER_TOKEN} for reads), shared by Cistern's
 * HTTP services.
 *
 * <p>Both tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken reveals neither
 * how much of a guess was right nor the token's length. Refusals name the variable to set, never what the client
 * sent. Thread-safe (immutable).
 */
public final class BearerTokenCheck {
    private static final String SCHEME = "bearer ";

    private final Optional<byte[]> expectedDigest;
    private final String variable;

    /**
     * @param token the token requests must carry, or empty to let every request through
     * @param variable the setting that holds the token, named in refusals
     */
    public BearerTokenCheck(Optional<Secret> token, String variable) {
        this.expectedDigest = Objects.requireNonNull(token, "token").map(t -> sha256(t.reveal()));
        this.variable = Objects.requireNonNull(variable, "variable");
    }

    /**
     * The token configured in {@code variable}, or in the file named by {@code variable + "_FILE"}; empty when
     * neither is set (blank counts as unset).
     *
     * @throws IllegalArgumentException naming the variable and the fix: both set, or the file unreadable or empty
     */
    public static Optional<Secret> tokenFromEnvironment(Map<String, String> env, String variable) {
        return new EnvironmentReader(env).secret(variable);
    }

    /** Whether requests must carry a token. */
    public boolean enabled() {
        return expectedDigest.isPresent();
    }

    /**
     * Why a request with this {@code Authorization} header is refused, or empty when it may pass (authentication off,
     * or the header carries the token; the scheme's case does not matter).
     */
    public Optional<String> refusal(String authorizationHeader) {
        if (expectedDigest.isEmpty()) {
            return Optional.empty();
        }
        if (authorizationHeader == null
                || authorizationHeader.length() <= SCHEME.length()
                || !authorizationHeader.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Optional.of("this service requires a bearer token: send the header `Authorization: Bearer <token>`"
                    + " with the token configured in " + variable);
        }
        byte[] given = sha256(authorizationHeader.substring(SCHEME.length()).strip());
        if (!MessageDigest.isEqual(expectedDigest.get(), given)) {
            return Optional.of("the bearer token is not valid: send the token configured in " + variable);
        }
        return Optional.empty();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
