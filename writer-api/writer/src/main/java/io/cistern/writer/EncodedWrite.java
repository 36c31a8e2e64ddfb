package io.cistern.writer;

import io.cistern.schema.codec.Operation;

/** A validated write, ready to send: the Function to call, its keys and its arguments. */
record EncodedWrite(
        Operation op, String table, String key, int partition, String function, String[] keys, String[] args) {

    /** "put source_documents/7c0e...", for messages. */
    String describe() {
        return op.wire() + " " + table + "/" + key;
    }
}
