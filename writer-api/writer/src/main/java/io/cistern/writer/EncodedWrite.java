package io.cistern.writer;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.registry.TableRegistry;

/**
 * A validated write, ready to send: the Function to call, its keys and its arguments, and the registry it was judged
 * by (whose generation of the table the arguments name, so a refusal as stale knows what to reload past).
 */
record EncodedWrite(
        Operation op,
        String table,
        String key,
        int partition,
        String function,
        String[] keys,
        String[] args,
        TableRegistry judgedBy) {

    /** "put source_documents/7c0e...", for messages. */
    String describe() {
        return op.wire() + " " + table + "/" + key;
    }
}
