package io.cistern.schema.keys;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The one text encoding of a primary key, used in Redis keys, URLs and the protocol.
 *
 * <p>Each key column's canonical text is UTF-8 percent-encoded: every byte outside {@code A-Z a-z 0-9 - . _ ~} becomes
 * {@code %XX} with upper-case hex digits. Columns are joined with {@code ,}. So the key {@code (7c0e..., "a,b")}
 * encodes as {@code 7c0e...,a%2Cb}, and a one-column key is just its encoded text. The encoding is canonical: one key
 * has exactly one encoding, so it can name a Redis key and feed the partition hash.
 */
public final class KeyEncoding {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private KeyEncoding() {}

    /** Encodes the canonical texts of the key columns, in key order. */
    public static String encode(List<String> components) {
        if (components.isEmpty()) {
            throw new IllegalArgumentException("a key needs at least one component");
        }
        StringBuilder sb = new StringBuilder(components.size() * 40);
        for (int i = 0; i < components.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            appendEncoded(sb, components.get(i));
        }
        return sb.toString();
    }

    /** Encodes a single component, for a one-column key. */
    public static String encodeComponent(String component) {
        StringBuilder sb = new StringBuilder(component.length() + 8);
        appendEncoded(sb, component);
        return sb.toString();
    }

    private static void appendEncoded(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isUnreserved(c)) {
                sb.append(c);
            } else {
                // Slow path: encode the rest of the string as UTF-8 bytes.
                byte[] bytes = s.substring(i).getBytes(StandardCharsets.UTF_8);
                for (byte b : bytes) {
                    int u = b & 0xFF;
                    if (u < 0x80 && isUnreserved((char) u)) {
                        sb.append((char) u);
                    } else {
                        sb.append('%').append(HEX[u >> 4]).append(HEX[u & 0xF]);
                    }
                }
                return;
            }
        }
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '.'
                || c == '_'
                || c == '~';
    }

    /** Whether every character is unreserved (no separator, no escape), so that decoding keeps the text as it is. */
    private static boolean isPlain(String encoded) {
        for (int i = 0; i < encoded.length(); i++) {
            if (!isUnreserved(encoded.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes an encoded key into its components' texts (an unmodifiable list).
     *
     * @throws IllegalArgumentException naming the problem when {@code encoded} is not in canonical form
     */
    public static List<String> decode(String encoded) {
        if (isPlain(encoded)) {
            // The common key (a uuid, a number): one component that stands as it is.
            return List.of(encoded);
        }
        List<String> parts = new ArrayList<>(2);
        int start = 0;
        for (int i = 0; i <= encoded.length(); i++) {
            if (i == encoded.length() || encoded.charAt(i) == ',') {
                parts.add(decodeComponent(encoded.substring(start, i)));
                start = i + 1;
            }
        }
        return Collections.unmodifiableList(parts);
    }

    private static String decodeComponent(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = hex(s, i + 1);
                int lo = hex(s, i + 2);
                int u = (hi << 4) | lo;
                if (u < 0x80 && isUnreserved((char) u)) {
                    throw new IllegalArgumentException("key component '" + s + "' escapes '" + (char) u
                            + "', which must be written as is (the encoding is canonical)");
                }
                out.write(u);
                i += 2;
            } else if (isUnreserved(c)) {
                out.write(c);
            } else {
                throw new IllegalArgumentException("key component '" + s + "' contains '" + c
                        + "', which must be %-encoded (only A-Z a-z 0-9 - . _ ~ stand as they are)");
            }
        }
        byte[] bytes = out.toByteArray();
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes)) {
            throw new IllegalArgumentException("key component '" + s + "' is not valid UTF-8 once decoded");
        }
        return text;
    }

    private static int hex(String s, int i) {
        if (i >= s.length()) {
            throw new IllegalArgumentException("truncated %-escape in key component '" + s + "'");
        }
        char c = s.charAt(i);
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        throw new IllegalArgumentException(
                "bad %-escape in key component '" + s + "': use two upper-case hex digits (0-9, A-F)");
    }
}
