package io.cistern.schema.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The PostgreSQL column types Cistern can carry, each with one exact JSON encoding (see {@code docs/protocol.md}). */
public enum SqlType {
    TEXT("text", "varchar", "character varying", "bpchar", "character", "citext"),
    SMALLINT("int2", "smallint"),
    INTEGER("int4", "integer"),
    BIGINT("int8", "bigint"),
    NUMERIC("numeric", "decimal"),
    REAL("float4", "real"),
    DOUBLE("float8", "double precision"),
    BOOLEAN("bool", "boolean"),
    UUID("uuid"),
    DATE("date"),
    TIMESTAMP("timestamp", "timestamp without time zone"),
    TIMESTAMPTZ("timestamptz", "timestamp with time zone"),
    JSON("json"),
    JSONB("jsonb"),
    BYTEA("bytea");

    private final String[] catalogNames;

    SqlType(String... catalogNames) {
        this.catalogNames = catalogNames;
    }

    /** The name used in the registry and in PostgreSQL casts, for example {@code int8}. */
    public String sqlName() {
        return catalogNames[0];
    }

    /** Maps a PostgreSQL catalog type name ({@code pg_type.typname} or its SQL spelling) to a Cistern type. */
    public static Optional<SqlType> fromCatalogName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (SqlType t : values()) {
            for (String c : t.catalogNames) {
                if (c.equals(n)) {
                    return Optional.of(t);
                }
            }
        }
        return Optional.empty();
    }

    /** The list of supported catalog names, for error messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(SqlType::sqlName).collect(Collectors.joining(", "));
    }
}
