package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import java.util.Map;
import java.util.OptionalLong;

/** A dead letter's original change entry, read field by field: what a stream letter and a recorded one share. */
public interface DeadLetterEntry {
    /** The original entry's fields, unchanged. */
    Map<String, String> entry();

    /** The original entry's table, or {@code ""} when the entry is malformed and has none. */
    default String table() {
        return entry().getOrDefault(ChangeEntry.TABLE, "");
    }

    /** The original entry's encoded record key, or {@code ""} when the entry is malformed and has none. */
    default String key() {
        return entry().getOrDefault(ChangeEntry.KEY, "");
    }

    /** The original entry's operation on the wire ({@code put}, {@code patch}, {@code delete}), or {@code ""}. */
    default String operation() {
        return entry().getOrDefault(ChangeEntry.OP, "");
    }

    /** The original entry's version, when it has a well-formed one. */
    default OptionalLong version() {
        try {
            return OptionalLong.of(Long.parseLong(entry().getOrDefault(ChangeEntry.VERSION, "")));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
