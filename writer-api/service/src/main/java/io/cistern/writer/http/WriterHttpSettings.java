package io.cistern.writer.http;

import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.Secret;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the HTTP ingest service. Immutable; validated in the constructor.
 *
 * <p>From the environment (or the Spring properties of the same name, such as {@code cistern.writer.token}):
 *
 * <ul>
 *   <li>{@code CISTERN_WRITER_TOKEN} or {@code CISTERN_WRITER_TOKEN_FILE} (a file holding the token) — when set, every
 *       write must carry {@code Authorization: Bearer <token>}; setting both is refused. Unset: no authentication.
 *   <li>{@code CISTERN_WRITER_MAX_BODY_BYTES} — the largest request body accepted, in bytes (default 8 MiB); a larger
 *       body is refused with 413 before it is parsed.
 * </ul>
 *
 * @param maxBodyBytes the largest request body accepted, in bytes
 * @param token the bearer token writes must carry, or empty when authentication is off; never printed
 */
public record WriterHttpSettings(int maxBodyBytes, Optional<Secret> token) {
    /** 8 MiB: room for a batch of several large values, small enough to keep one request's memory bounded. */
    public static final int DEFAULT_MAX_BODY_BYTES = 8 << 20;
    /** The upper bound of {@code maxBodyBytes}: a body is held in memory while it is parsed. */
    public static final int MAX_MAX_BODY_BYTES = 1 << 30;

    static final String TOKEN = "CISTERN_WRITER_TOKEN";
    static final String TOKEN_FILE = "CISTERN_WRITER_TOKEN_FILE";
    static final String MAX_BODY_BYTES = "CISTERN_WRITER_MAX_BODY_BYTES";

    public WriterHttpSettings {
        if (maxBodyBytes < 1 || maxBodyBytes > MAX_MAX_BODY_BYTES) {
            throw new IllegalArgumentException(
                    MAX_BODY_BYTES + " must be between 1 and " + MAX_MAX_BODY_BYTES + " bytes, was " + maxBodyBytes);
        }
        Objects.requireNonNull(token, "token (use Optional.empty() to turn authentication off)");
        if (token.isPresent() && token.get().reveal().isBlank()) {
            throw new IllegalArgumentException("the bearer token is blank: set " + TOKEN
                    + " to a non-blank value, or unset it to turn" + " authentication off");
        }
    }

    /** No authentication, the default body limit. */
    public static WriterHttpSettings defaults() {
        return new WriterHttpSettings(DEFAULT_MAX_BODY_BYTES, Optional.empty());
    }

    /**
     * Resolves the settings from environment variables; blank values count as unset.
     *
     * @throws IllegalArgumentException naming the variable and the fix when a value is wrong
     */
    public static WriterHttpSettings fromEnvironment(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        Optional<Secret> token = reader.secret(TOKEN);
        int maxBody =
                reader.get(MAX_BODY_BYTES).map(WriterHttpSettings::parseMaxBody).orElse(DEFAULT_MAX_BODY_BYTES);
        return new WriterHttpSettings(maxBody, token);
    }

    public WriterHttpSettings withToken(String newToken) {
        return new WriterHttpSettings(maxBodyBytes, Optional.of(Secret.of(newToken)));
    }

    public WriterHttpSettings withMaxBodyBytes(int bytes) {
        return new WriterHttpSettings(bytes, token);
    }

    /** Its own parse rather than the reader's, for the example in the message (the range is the constructor's). */
    private static int parseMaxBody(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    MAX_BODY_BYTES + " must be a whole number of bytes, such as 8388608, was '" + text + "'", e);
        }
    }

    @Override
    public String toString() {
        return "WriterHttpSettings[maxBodyBytes=" + maxBodyBytes + ", auth="
                + (token.isPresent() ? "bearer token" : "off") + "]";
    }
}
