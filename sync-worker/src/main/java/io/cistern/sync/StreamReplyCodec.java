package io.cistern.sync;

import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The UTF-8 string codec of the partition loops' connections, cheaper where they spend their decoding time: the
 * replies of {@code XREADGROUP}, a thousand entries of nine fields each. Encodes as {@link StringCodec#UTF8} does.
 * Decodes a value straight from the reply's buffer into a {@code String} (Lettuce's codec wraps every one in a Netty
 * buffer first), and a key, in these replies a stream's name or an entry's field name ({@code t}, {@code k}, {@code
 * c:filename}, ...), through a small cache: the same few names come back in every entry, so they are decoded once and
 * shared, which also saves the change entry's codec from cutting the column name out of them again. Thread-safe: the
 * cache's slots hold immutable pairs, and a lost race only decodes a name twice.
 */
final class StreamReplyCodec extends StringCodec {
    static final StreamReplyCodec INSTANCE = new StreamReplyCodec();

    private static final int SLOTS = 256;
    /** Format-2 field names ({@code e2:<op>:<table>:<columns>}) are this long for a table of many columns. */
    private static final int MAX_CACHED_BYTES = 512;

    private record Cached(byte[] bytes, String text) {}

    private final Cached[] cache = new Cached[SLOTS];

    private StreamReplyCodec() {
        super(StandardCharsets.UTF_8);
    }

    @Override
    public String decodeKey(ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        int n = bytes.remaining();
        if (n > MAX_CACHED_BYTES) {
            return decode(bytes);
        }
        int start = bytes.position();
        int hash = n;
        for (int i = 0; i < n; i++) {
            hash = 31 * hash + bytes.get(start + i);
        }
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        Cached cached = cache[slot];
        if (cached != null && matches(cached.bytes(), bytes, start, n)) {
            return cached.text();
        }
        byte[] copy = new byte[n];
        bytes.get(start, copy);
        String text = new String(copy, StandardCharsets.UTF_8);
        cache[slot] = new Cached(copy, text);
        return text;
    }

    @Override
    public String decodeValue(ByteBuffer bytes) {
        return bytes == null ? null : decode(bytes);
    }

    private static String decode(ByteBuffer bytes) {
        int n = bytes.remaining();
        if (n == 0) {
            return "";
        }
        if (bytes.hasArray()) {
            return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), n, StandardCharsets.UTF_8);
        }
        byte[] copy = new byte[n];
        bytes.get(bytes.position(), copy);
        return new String(copy, StandardCharsets.UTF_8);
    }

    private static boolean matches(byte[] cached, ByteBuffer bytes, int start, int n) {
        if (cached.length != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (cached[i] != bytes.get(start + i)) {
                return false;
            }
        }
        return true;
    }
}
