package io.cistern.writer;

import io.cistern.schema.codec.Operation;

/**
 * Proof that a write is in Redis: it will reach PostgreSQL (DESIGN.md invariant 1).
 *
 * @param table the table written
 * @param key the record's encoded key
 * @param op the operation
 * @param partition the partition the record belongs to
 * @param version the version the write was given, strictly greater than every earlier version of the record
 * @param entryId the ID of its change entry on the partition stream; its millisecond part is the write time
 */
public record WriteReceipt(String table, String key, Operation op, int partition, long version, String entryId) {}
