package io.cistern.schema.wire;

/**
 * Field names of a dead-letter stream entry {@code {prefix}:{p}:dlq} ({@link
 * io.cistern.schema.keys.KeyLayout#deadLetters}), besides the original change entry's fields, which it carries unchanged
 * ({@link io.cistern.schema.codec.ChangeEntry}'s constants) so it can be replayed.
 */
public final class DeadLetterFields {
    /** Why the entry was dead-lettered: written by the sync worker; read by flush barriers, replay and {@code ops}. */
    public static final String REASON = "reason";
    /** SQLSTATE of the database error, empty when none: written by the sync worker; read by flush barriers, replay and {@code ops}. */
    public static final String SQLSTATE = "sqlstate";
    /** How often the entry was tried: written by the sync worker and replay; read by flush barriers, replay and {@code ops}. */
    public static final String ATTEMPTS = "attempts";
    /** The dead-lettered entry's ID on the partition stream: written by the sync worker; read by flush barriers and replay. */
    public static final String ENTRY_ID = "entry_id";
    /** The partition number: written by the sync worker; read by replay (which drops it). */
    public static final String PARTITION = "partition";
    /** The worker (or {@code replay:<actor>}) that dead-lettered it: written by the sync worker; read by flush barriers and {@code ops}. */
    public static final String WORKER = "worker";

    private DeadLetterFields() {}
}
