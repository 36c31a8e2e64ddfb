package io.cistern.sync;

import java.util.Objects;

/**
 * What {@link DeadLetterReplayer#replay} or {@link DeadLetterReplayer#drop} did with one selected dead letter.
 * Immutable.
 *
 * @param deadLetterId the dead letter's ID on the dead-letter stream, as selected
 * @param entryId the original change entry's stream ID, or {@code ""} when the dead letter was not found
 * @param kind what happened
 * @param reason for {@link Kind#FAILED_AGAIN}, why (the new reason); otherwise {@code ""}
 * @param sqlState for {@link Kind#FAILED_AGAIN}, the new SQLSTATE (empty when the database was not asked); otherwise
 *     {@code ""}
 * @param newDeadLetterId for {@link Kind#FAILED_AGAIN}, the ID of the dead letter that now holds the entry (it
 *     replaced the selected one; {@code ""} if another replay or drop resolved it meanwhile, or the same ID when the
 *     entry is malformed and the dead letter was left as it was); otherwise {@code ""}
 */
public record DeadLetterOutcome(
        String deadLetterId, String entryId, Kind kind, String reason, String sqlState, String newDeadLetterId) {

    /** What happened to a selected dead letter. */
    public enum Kind {
        /** Replayed and written to PostgreSQL; the dead letter is resolved (removed). */
        APPLIED,
        /**
         * Replayed, but the row or the key's tombstone already held the entry's version or a newer one, so the version
         * guard skipped it; nothing changed in PostgreSQL and the dead letter is resolved (removed).
         */
        SUPERSEDED,
        /** Replayed and failed again for a permanent reason; the entry is still dead-lettered, with the new reason. */
        FAILED_AGAIN,
        /** Dropped: removed without being applied. */
        DROPPED,
        /** No such dead letter on the partition's stream (already replayed or dropped, or never there). */
        NOT_FOUND
    }

    public DeadLetterOutcome {
        Objects.requireNonNull(deadLetterId, "deadLetterId must not be null");
        Objects.requireNonNull(entryId, "entryId must not be null");
        Objects.requireNonNull(kind, "kind must not be null");
        Objects.requireNonNull(reason, "reason must not be null");
        Objects.requireNonNull(sqlState, "sqlState must not be null");
        Objects.requireNonNull(newDeadLetterId, "newDeadLetterId must not be null");
    }

    static DeadLetterOutcome of(OpenDeadLetter letter, Kind kind) {
        return new DeadLetterOutcome(letter.id(), letter.entryId(), kind, "", "", "");
    }

    static DeadLetterOutcome notFound(String deadLetterId) {
        return new DeadLetterOutcome(deadLetterId, "", Kind.NOT_FOUND, "", "", "");
    }
}
