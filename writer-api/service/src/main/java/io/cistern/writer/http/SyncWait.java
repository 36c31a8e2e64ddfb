package io.cistern.writer.http;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The query parameters {@code wait} and {@code timeout} of the write endpoints, parsed: whether the request waits for
 * its writes to be synced to PostgreSQL, and for how long. Pure; refusals are 400s naming the parameter.
 *
 * <ul>
 *   <li>{@code wait}: absent (answer {@code 202} at once) or {@code synced};
 *   <li>{@code timeout}: only with {@code wait=synced}; {@code 500ms}, {@code 5s}, {@code 2m} or ISO-8601 ({@code
 *       PT5S}); from 0 (check once) to {@value #MAX_TIMEOUT_SECONDS} s; default {@value #DEFAULT_TIMEOUT_SECONDS} s.
 * </ul>
 */
final class SyncWait {
    static final int DEFAULT_TIMEOUT_SECONDS = 5;
    static final int MAX_TIMEOUT_SECONDS = 60;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(MAX_TIMEOUT_SECONDS);
    private static final Pattern SHORT = Pattern.compile("(\\d{1,9})(ms|s|m)");

    private SyncWait() {}

    /**
     * Reads {@code wait} and {@code timeout} from the raw query string (never from the servlet's parameters, which
     * could read a form body), then {@link #parse}s them. The first occurrence of a parameter counts.
     */
    static Optional<Duration> fromQuery(String rawQuery) {
        String wait = null;
        String timeout = null;
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (name.equals("wait") && wait == null) {
                    wait = value;
                } else if (name.equals("timeout") && timeout == null) {
                    timeout = value;
                }
            }
        }
        return parse(wait, timeout);
    }

    private static String decode(String s) {
        try {
            return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw RequestRefusedException.badRequest(
                    "BAD_PARAMETER", "query", "the query string is not valid percent-encoding: " + e.getMessage());
        }
    }

    /**
     * The timeout to wait for, or empty when the request does not wait.
     *
     * @throws RequestRefusedException (400) for an unknown {@code wait}, a malformed, negative or too long {@code
     *     timeout}, or a {@code timeout} without {@code wait=synced}
     */
    static Optional<Duration> parse(String wait, String timeout) {
        if (wait == null) {
            if (timeout != null) {
                throw RequestRefusedException.badRequest(
                        "BAD_PARAMETER",
                        "timeout",
                        "the query parameter 'timeout' only applies with 'wait=synced'; add wait=synced or drop it");
            }
            return Optional.empty();
        }
        if (!wait.equals("synced")) {
            throw RequestRefusedException.badRequest(
                    "BAD_PARAMETER",
                    "wait",
                    "the query parameter 'wait' must be 'synced' (wait until the write reached PostgreSQL), was '"
                            + wait + "'");
        }
        return Optional.of(timeout == null ? DEFAULT_TIMEOUT : timeout(timeout));
    }

    private static Duration timeout(String text) {
        Duration d = null;
        Matcher m = SHORT.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        } else if (text.toUpperCase(Locale.ROOT).startsWith("PT")) {
            try {
                d = Duration.parse(text);
            } catch (DateTimeParseException e) {
                d = null;
            }
        }
        if (d == null) {
            throw RequestRefusedException.badRequest(
                    "BAD_PARAMETER",
                    "timeout",
                    "the query parameter 'timeout' must be a duration such as 500ms, 5s, 1m or PT5S, was '" + text
                            + "'");
        }
        if (d.isNegative() || d.compareTo(MAX_TIMEOUT) > 0) {
            throw RequestRefusedException.badRequest(
                    "BAD_PARAMETER",
                    "timeout",
                    "the query parameter 'timeout' must be between 0 and " + MAX_TIMEOUT_SECONDS + " s, was '" + text
                            + "'; for longer waits, poll the partition's applied watermark in Redis (docs/protocol.md)");
        }
        return d;
    }
}
