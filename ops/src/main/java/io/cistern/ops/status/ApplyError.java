package io.cistern.ops.status;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a partition's last batch attempt failed, as its sync worker published it in the partition meta hash (fields
 * {@code last_error} and {@code last_error_at}): one line, classified by the failure taxonomy, no secrets. Immutable.
 *
 * @param message the worker's one-line reason, such as {@code CONNECTION (SQLSTATE 08001): Connection refused}
 * @param at when the attempt failed (the worker's clock); empty when the time was not published or is not a number
 */
public record ApplyError(String message, Optional<Instant> at) {
    public ApplyError {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(at, "at");
    }

    /** {@code at} as published: epoch milliseconds; a value that is not one reads as absent. */
    static Instant parseTime(String epochMillis) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(epochMillis));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
