package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamReplyCodecTest {
    private final StreamReplyCodec codec = StreamReplyCodec.INSTANCE;

    private static ByteBuffer direct(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length + 4);
        b.put(new byte[] {'x', 'x'}).put(bytes).put(new byte[] {'y', 'y'});
        return b.position(2).limit(2 + bytes.length);
    }

    @Test
    void decodesKeysAndValuesAsLettucesCodecDoes_withoutMovingTheBuffer() {
        for (String text : new String[] {"", "t", "c:filename", "Zürich ✓ 東京", "x".repeat(300)}) {
            ByteBuffer key = direct(text);
            ByteBuffer value = direct(text);
            ByteBuffer heap = ByteBuffer.wrap(("ab" + text).getBytes(StandardCharsets.UTF_8))
                    .position(2);

            assertThat(codec.decodeKey(key)).isEqualTo(StringCodec.UTF8.decodeKey(direct(text)));
            assertThat(codec.decodeValue(value)).isEqualTo(text);
            assertThat(codec.decodeValue(heap)).isEqualTo(text);
            assertThat(key.position()).isEqualTo(2);
            assertThat(value.position()).isEqualTo(2);
        }
        assertThat(codec.decodeKey(null)).isNull();
        assertThat(codec.decodeValue(null)).isNull();
    }

    @Test
    void repeatedFieldName_isDecodedOnceAndShared() {
        String first = codec.decodeKey(direct("c:storage_uri"));
        String second = codec.decodeKey(direct("c:storage_uri"));

        assertThat(second).isEqualTo("c:storage_uri").isSameAs(first);
    }

    @Test
    void namesSharingASlot_neverGetEachOthersText() {
        for (int i = 0; i < 2_000; i++) {
            String name = "c:col" + i;
            assertThat(codec.decodeKey(direct(name))).isEqualTo(name);
        }
    }
}
