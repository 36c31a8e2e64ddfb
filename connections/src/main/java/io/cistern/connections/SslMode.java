package io.cistern.connections;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a PostgreSQL connection uses TLS; the names and meanings are libpq's ({@code sslmode}).
 *
 * <p>Only {@link #VERIFY_FULL} protects against a man in the middle: it checks that the server's certificate is
 * signed by the configured root certificate <em>and</em> names the host connected to. {@link #VERIFY_CA} checks the
 * signature only. {@link #REQUIRE} encrypts without checking who answers.
 */
public enum SslMode {
    /** Never TLS. */
    DISABLE("disable"),
    /** Plain first; TLS only if the server insists. */
    ALLOW("allow"),
    /** TLS if the server offers it, unverified; plain otherwise (the libpq and pgjdbc default). */
    PREFER("prefer"),
    /** TLS or fail; the certificate is not checked. */
    REQUIRE("require"),
    /** TLS or fail; the certificate must be signed by the root certificate. */
    VERIFY_CA("verify-ca"),
    /** TLS or fail; the certificate must be signed by the root certificate and name the host. */
    VERIFY_FULL("verify-full");

    private final String value;

    SslMode(String value) {
        this.value = value;
    }

    /** The value as libpq and pgjdbc spell it, for example {@code verify-full}. */
    public String value() {
        return value;
    }

    /** Whether the server's certificate is checked against a root certificate. */
    public boolean verifiesCertificate() {
        return this == VERIFY_CA || this == VERIFY_FULL;
    }

    /** Parses {@code text} (libpq's spelling, any case), naming {@code variable} when it is not a mode. */
    static SslMode parse(String variable, String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (SslMode mode : values()) {
            if (mode.value.equals(wanted)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(variable + " must be one of "
                + Arrays.stream(values()).map(SslMode::value).collect(Collectors.joining(", ")) + ", was '" + text
                + "'");
    }

    @Override
    public String toString() {
        return value;
    }
}
