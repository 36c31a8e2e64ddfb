package io.cistern.schema.codec;

/** What a write does to its record (DESIGN.md 3.2). */
public enum Operation {
    /** Replaces the whole record; columns not given take their default or NULL. */
    PUT("put"),
    /** Changes the given columns of an existing record; dead-lettered as "record absent" if there is none. */
    PATCH("patch"),
    /** Removes the record and leaves a tombstone so that an older write replayed later cannot bring it back. */
    DELETE("delete");

    private final String wire;

    Operation(String wire) {
        this.wire = wire;
    }

    /** The name on the wire: in change entries and in the Function names. */
    public String wire() {
        return wire;
    }

    public static Operation fromWire(String wire) {
        return switch (wire) {
            case "put" -> PUT;
            case "patch" -> PATCH;
            case "delete" -> DELETE;
            default -> throw new IllegalArgumentException("unknown operation '" + wire + "' (put, patch or delete)");
        };
    }
}
