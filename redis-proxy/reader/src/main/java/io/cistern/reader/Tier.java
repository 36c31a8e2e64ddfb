package io.cistern.reader;

import java.util.Locale;

/** Which tier answered a read. */
public enum Tier {
    /** This process's own cache (Caffeine), kept current by Redis invalidations. */
    LOCAL,
    /** The record hash in Redis: the latest write, synced to PostgreSQL or not yet. */
    REDIS,
    /** PostgreSQL: the record was not complete in Redis (never written through Cistern, synced and expired, or partial). */
    DATABASE;

    /** The lower-case name used in the {@code Cistern-Tier} HTTP header and in metric tags: {@code local}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
