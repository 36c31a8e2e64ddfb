/**
 * Where a record lives in Redis: the key layout with one hash tag per partition, the text encoding of (composite)
 * primary keys used in Redis keys, URLs and the protocol, the language-neutral partition hash, and {@link
 * io.cistern.schema.keys.RecordAddress}, which owns a key's canonical form, validation, encoding and partition.
 */
package io.cistern.schema.keys;
