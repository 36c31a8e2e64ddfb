package io.cistern.schema.keys;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The language-neutral partition hash: {@code partition = crc32(routingText) mod partitions}, where crc32 is the
 * IEEE 802.3 CRC-32 (zlib's {@code crc32}, Python's {@code zlib.crc32}) of the UTF-8 bytes of the routing text, taken as
 * an unsigned 32-bit number. The routing text is the encoded key limited to its routing columns (see {@link
 * #routingText}).
 */
public final class Partitioner {
    private Partitioner() {}

    /** The partition of a record whose routing text is {@code routingText}. */
    public static int partitionOf(String routingText, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive, was " + partitions);
        }
        CRC32 crc = new CRC32();
        crc.update(routingText.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    /**
     * The routing text of an encoded key: its first {@code routingColumns} components, still encoded and joined by
     * {@code ,}. A table routed by its whole key uses the whole encoded key.
     */
    public static String routingText(String encodedKey, int routingColumns) {
        int seen = 0;
        for (int i = 0; i < encodedKey.length(); i++) {
            if (encodedKey.charAt(i) == ',' && ++seen == routingColumns) {
                return encodedKey.substring(0, i);
            }
        }
        return encodedKey;
    }
}
