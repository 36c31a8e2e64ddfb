/**
 * Where a record lives in Redis: the key layout with one hash tag per partition, the text encoding of (composite)
 * primary keys used in Redis keys, URLs and the protocol, and the language-neutral partition hash.
 */
package io.cistern.schema.keys;
