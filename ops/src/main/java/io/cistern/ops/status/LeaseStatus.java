package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who owns a partition now: the live lease ({@code {prefix}:{p}:lease}) and, when the owner recorded its takeover,
 * since when and with which fencing token.
 *
 * @param worker the owning worker's ID
 * @param since when it took the partition (Redis time); empty when the takeover was not recorded
 * @param token the fencing token it took the partition with; empty when the takeover was not recorded
 * @param expiresIn how long the lease lasts unless renewed (the owner renews it every few seconds)
 */
public record LeaseStatus(String worker, Optional<Instant> since, OptionalLong token, Duration expiresIn) {
    public LeaseStatus {
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(expiresIn, "expiresIn");
    }
}
