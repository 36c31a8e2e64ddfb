package io.cistern.writer.http;

import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.Secret;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the HTTP ingest service. Immutable; validated in the constructor. Built by {@link #defaults()} or {@link
 * #fromEnvironment(Map)}, changed by {@link #mutate()}.
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
        int maxBody = reader.integer(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 1, MAX_MAX_BODY_BYTES, "bytes");
        return new WriterHttpSettings(maxBody, token);
    }

    /** A builder holding these settings, to change some of them: {@code settings.mutate().token("t").build()}. */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link WriterHttpSettings}' values; {@link #build()} validates them all, as the constructor
     * does. Not thread-safe; one per change.
     */
    public static final class Builder {
        private int maxBodyBytes;
        private Optional<Secret> token;

        private Builder(WriterHttpSettings from) {
            maxBodyBytes = from.maxBodyBytes;
            token = from.token;
        }

        public Builder maxBodyBytes(int value) {
            maxBodyBytes = value;
            return this;
        }

        /** The bearer token writes must carry, or empty to turn authentication off. */
        public Builder token(Optional<Secret> value) {
            token = value;
            return this;
        }

        /** The bearer token writes must carry. */
        public Builder token(String value) {
            return token(Optional.of(Secret.of(value)));
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value that is wrong
         */
        public WriterHttpSettings build() {
            return new WriterHttpSettings(maxBodyBytes, token);
        }
    }

    @Override
    public String toString() {
        return "WriterHttpSettings[maxBodyBytes=" + maxBodyBytes + ", auth="
                + (token.isPresent() ? "bearer token" : "off") + "]";
    }
}
