package io.cistern.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ChangeEntry;
import org.junit.jupiter.api.Test;

class WireScriptTest {
    @Test
    void placeholdersBecomeTheConstantsValues() {
        String lua = WireScript.render(
                "redis.call('HGET', KEYS[1], '${RecordFields.VERSION}') .. '${MetaFields.APPLIED}' .. '${ChangeEntry.TABLE}'");

        assertThat(lua)
                .isEqualTo("redis.call('HGET', KEYS[1], '" + RecordFields.VERSION + "') .. '" + MetaFields.APPLIED
                        + "' .. '" + ChangeEntry.TABLE + "'");
    }

    @Test
    void luaOfItsOwnIsLeftAsItIs() {
        String lua = "local a = string.match(x, '^(%d+)-(%d+)$') return {'$', '{}'}";

        assertThat(WireScript.render(lua)).isEqualTo(lua);
    }

    @Test
    void aPlaceholderThatNamesNoConstantFailsNamingIt() {
        assertThatThrownBy(() -> WireScript.render("'${RecordFields.VERSON}'"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("${RecordFields.VERSON}")
                .hasMessageContaining("RecordFields.VERSION");
    }
}
