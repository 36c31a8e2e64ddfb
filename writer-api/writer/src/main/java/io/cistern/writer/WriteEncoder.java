package io.cistern.writer;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.CheckCondition;
import io.cistern.schema.registry.CheckConstraint;
import io.cistern.schema.registry.ClosestName;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validates a {@link Write} against the registry and encodes it as a Function call. Pure: no I/O, no threads;
 * thread-safe. Every refusal names the table and the field, so the producer knows what to fix.
 */
final class WriteEncoder {
    /** The optional last argument of a write: the generation of the table's registration it was judged by. */
    static final String GENERATION_ARGUMENT = "g=";

    private final KeyLayout layout;
    private final int maxValueBytes;

    WriteEncoder(KeyLayout layout, int maxValueBytes) {
        this.layout = layout;
        this.maxValueBytes = maxValueBytes;
    }

    EncodedWrite encode(TableRegistry registry, Write write) {
        TableDef table = registry.table(write.table()).orElseThrow(() -> unknownTable(registry, write.table()));
        RecordAddress address = write.key().addressIn(table);
        String key = address.key();
        int partition = address.partition(registry.partitions());
        List<String> args = new ArrayList<>(2 + 2 * write.columns().size());
        args.add(table.name());
        args.add(key);
        if (write.op() == Operation.DELETE) {
            if (!write.columns().isEmpty()) {
                throw new InvalidRecordException(
                        Reason.WRONG_TYPE, table.name(), "columns", "a delete takes no columns");
            }
        } else {
            encodeColumns(table, address, write, args);
            judgeChecks(table, address, write.op(), args);
        }
        // The registration this write was judged by: the Function refuses it as stale if the partition holds another.
        registry.generation(table.name()).ifPresent(g -> args.add(GENERATION_ARGUMENT + g));
        String[] keys = {layout.record(partition, table.name(), key), layout.stream(partition), layout.meta(partition)};
        return new EncodedWrite(
                write.op(),
                table.name(),
                key,
                partition,
                FunctionLibrary.functionName(write.op()),
                keys,
                args.toArray(String[]::new),
                registry);
    }

    private void encodeColumns(TableDef table, RecordAddress address, Write write, List<String> args) {
        int given = 0;
        for (Map.Entry<String, ?> e : write.columns().entrySet()) {
            String name = e.getKey();
            ColumnDef column = table.column(name).orElseThrow(() -> unknownColumn(table, name));
            if (table.isKeyColumn(name)) {
                // Key columns travel in the key; a repeated one must agree with it.
                int idx = table.primaryKey().indexOf(name);
                String inBody = RecordAddress.canonicalText(table, column, e.getValue());
                String inKey = address.components().get(idx);
                if (!inBody.equals(inKey)) {
                    throw new InvalidRecordException(
                            Reason.MALFORMED_KEY,
                            table.name(),
                            name,
                            "key column '" + name + "' is '" + inBody + "' in the columns but '" + inKey
                                    + "' in the key; leave it out of the columns or make them equal");
                }
                continue;
            }
            String json = ValueCodec.encode(table.name(), column, e.getValue());
            if (json.length() > maxValueBytes / 3 && json.getBytes(StandardCharsets.UTF_8).length > maxValueBytes) {
                throw new InvalidRecordException(
                        Reason.VALUE_TOO_LARGE,
                        table.name(),
                        name,
                        "column '" + name + "' of table '" + table.name() + "' is "
                                + json.getBytes(StandardCharsets.UTF_8).length
                                + " bytes encoded, more than the limit of "
                                + maxValueBytes);
            }
            args.add(name);
            args.add(json);
            given++;
        }
        if (write.op() == Operation.PATCH && given == 0) {
            throw new InvalidRecordException(
                    Reason.EMPTY_PATCH,
                    table.name(),
                    "columns",
                    "a patch of table '" + table.name() + "' needs at least one column besides the key");
        }
        if (write.op() == Operation.PUT) {
            for (ColumnDef c : table.columns()) {
                if (!c.nullable()
                        && !c.hasDefault()
                        && !table.isKeyColumn(c.name())
                        && !write.columns().containsKey(c.name())) {
                    throw new InvalidRecordException(
                            Reason.NOT_NULLABLE,
                            table.name(),
                            c.name(),
                            "column '" + c.name() + "' of table '" + table.name()
                                    + "' is NOT NULL and has no default; a put must give it a value");
                }
            }
        }
    }

    /**
     * Refuses a write that a CHECK constraint Cistern understands would refuse in PostgreSQL ({@link
     * CheckConstraint}): the key columns and the columns the write carries are known; a put's omitted column is NULL
     * when it has no default and unknown when it has one (the database fills it); a patch's omitted column is unknown.
     */
    private static void judgeChecks(TableDef table, RecordAddress address, Operation op, List<String> args) {
        if (table.checks().stream().noneMatch(CheckConstraint::understood)) {
            return;
        }
        Map<String, String> values = new HashMap<>();
        List<String> key = address.components();
        for (int i = 0; i < table.primaryKey().size(); i++) {
            values.put(table.primaryKey().get(i), key.get(i));
        }
        for (int i = 2; i + 1 < args.size(); i += 2) {
            ColumnDef column = table.column(args.get(i)).orElseThrow();
            values.put(column.name(), canonicalText(column, args.get(i + 1)));
        }
        if (op == Operation.PUT) {
            for (ColumnDef c : table.columns()) {
                if (!c.hasDefault() && !values.containsKey(c.name())) {
                    values.put(c.name(), null);
                }
            }
        }
        for (CheckConstraint check : table.checks()) {
            Optional<CheckCondition> violated = check.violatedBy(table, values);
            if (violated.isPresent()) {
                String column = violated.get().column();
                String value = values.get(column);
                throw new InvalidRecordException(
                        Reason.CHECK_VIOLATION,
                        table.name(),
                        column,
                        "column '" + column + "' of table '" + table.name() + "' is "
                                + (value == null ? "NULL" : "'" + cut(value) + "'") + ", which CHECK constraint '"
                                + check.name() + "' refuses: it allows "
                                + CheckConstraint.describe(
                                        violated.get(),
                                        table.column(column).orElseThrow().type()));
            }
        }
    }

    /** A value as {@link CheckConstraint} reads it: null for NULL, text unquoted, a number's digits. */
    private static String canonicalText(ColumnDef column, String json) {
        if (json.equals("null")) {
            return null;
        }
        return column.type() == SqlType.TEXT ? ExactJson.mapper().readValue(json, String.class) : json;
    }

    private static String cut(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }

    /** A misspelt name gets "did you mean"; only a name close to none is told to register its table. */
    private static InvalidRecordException unknownTable(TableRegistry registry, String name) {
        List<String> registered = registry.tables().stream().map(TableDef::name).toList();
        String advice = ClosestName.among(registered, name)
                .map(closest -> "; did you mean '" + closest + "'? (registered: " + registered + ")")
                .orElse(" (registered: " + registered + "); register it with `ops/cistern init --table " + name + "`");
        return new InvalidRecordException(
                Reason.UNKNOWN_TABLE, name, "table", "table '" + name + "' is not registered with Cistern" + advice);
    }

    private static InvalidRecordException unknownColumn(TableDef table, String name) {
        List<String> columns = table.columns().stream().map(ColumnDef::name).toList();
        String advice = ClosestName.among(columns, name)
                .map(closest -> "; did you mean '" + closest + "'? (columns: " + columns + ")")
                .orElse(" (columns: " + columns + ")");
        return new InvalidRecordException(
                Reason.UNKNOWN_COLUMN,
                table.name(),
                name,
                "table '" + table.name() + "' has no column '" + name + "'" + advice);
    }
}
