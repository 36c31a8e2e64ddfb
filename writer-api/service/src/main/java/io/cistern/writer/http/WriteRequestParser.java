package io.cistern.writer.http;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.writer.RecordKey;
import io.cistern.writer.Write;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns the raw pieces of an HTTP request into {@link Write}s: the undecoded key segment of the URI, and the body
 * bytes parsed with {@link ExactJson} (numbers stay {@code BigInteger}/{@code BigDecimal}; a duplicate member name is
 * refused rather than silently last-wins). Pure: no servlet types; thread-safe.
 */
final class WriteRequestParser {
    private static final ObjectReader READER =
            ExactJson.mapper().reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

    private WriteRequestParser() {}

    /**
     * The last path segment of the raw, undecoded request URI: the record's encoded key exactly as the client sent it.
     * The container has already decoded the path variable ({@code a%2Cb} would arrive as {@code a,b}, splitting one key
     * component into two), so the key must come from here.
     */
    static String rawKeySegment(String requestUri) {
        return requestUri.substring(requestUri.lastIndexOf('/') + 1);
    }

    /** Parses an encoded key (see {@link io.cistern.schema.keys.KeyEncoding}). */
    static RecordKey key(String table, String encoded) {
        if (encoded.isEmpty()) {
            throw new InvalidRecordException(
                    Reason.MISSING_KEY, table, "key", "the record key is empty: put the encoded key in the URL");
        }
        try {
            return RecordKey.parse(encoded);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(
                    Reason.MALFORMED_KEY,
                    table,
                    "key",
                    "the record key '" + encoded + "' is malformed: " + e.getMessage()
                            + "; %-encode each key column (upper-case hex) and join them with ','",
                    e);
        }
    }

    /**
     * Reads the body, refusing it with 413 as soon as it is known to exceed {@code limit} bytes: at once from its
     * declared length, else after reading one byte past the limit.
     */
    static byte[] readBody(InputStream in, long declaredLength, int limit) {
        if (declaredLength > limit) {
            throw RequestRefusedException.bodyTooLarge(declaredLength, limit);
        }
        try {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) {
                throw RequestRefusedException.bodyTooLarge(-1, limit);
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the request body failed", e);
        }
    }

    /** The body as a JSON object; 400 when it is empty, not JSON, or not an object. */
    static ObjectNode object(byte[] body) {
        JsonNode node;
        try {
            node = body.length == 0 ? null : READER.readTree(body);
        } catch (JacksonException e) {
            throw RequestRefusedException.badRequest(
                    "MALFORMED_JSON", "body", "the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw RequestRefusedException.badRequest(
                    "MALFORMED_JSON", "body", "the request body is empty: send a JSON object");
        }
        if (!(node instanceof ObjectNode object)) {
            throw RequestRefusedException.badRequest(
                    "NOT_AN_OBJECT",
                    "body",
                    "the request body is a JSON " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                            + ": send a JSON object of columns, such as {\"filename\": \"a.pdf\"}");
        }
        return object;
    }

    /** The members of a JSON object of columns, in order, values as parsed (JSON null stays a {@code NullNode}). */
    static Map<String, JsonNode> columns(ObjectNode object) {
        Map<String, JsonNode> columns = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            columns.put(e.getKey(), e.getValue());
        }
        return columns;
    }

    /**
     * The writes of a batch body {@code {"writes": [{"op": "put", "key": "...", "columns": {...}}, ...]}}, all on
     * {@code table}. The shape is checked here; the values are checked by the writer.
     */
    static List<Write> batch(String table, ObjectNode body) {
        JsonNode writes = body.get("writes");
        if (writes == null || !writes.isArray()) {
            throw RequestRefusedException.badRequest(
                    "MALFORMED_BATCH",
                    "writes",
                    "a batch body is {\"writes\": [{\"op\": \"put\", \"key\": \"<encoded key>\", \"columns\": {...}},"
                            + " ...]}; the member \"writes\" is " + (writes == null ? "missing" : "not an array"));
        }
        for (String member : body.propertyNames()) {
            if (!member.equals("writes")) {
                throw RequestRefusedException.badRequest(
                        "MALFORMED_BATCH",
                        member,
                        "a batch body has one member, \"writes\"; remove \"" + member + "\"");
            }
        }
        List<Write> result = new ArrayList<>(writes.size());
        for (int i = 0; i < writes.size(); i++) {
            result.add(batchWrite(table, i, writes.get(i)));
        }
        return result;
    }

    private static Write batchWrite(String table, int i, JsonNode node) {
        if (!(node instanceof ObjectNode w)) {
            throw invalidInBatch(i, "MALFORMED_BATCH", "writes", "is not a JSON object");
        }
        for (String member : w.propertyNames()) {
            if (!member.equals("op") && !member.equals("key") && !member.equals("columns")) {
                throw invalidInBatch(
                        i, "MALFORMED_BATCH", member, "has an unknown member \"" + member + "\" (op, key, columns)");
            }
        }
        JsonNode opNode = w.get("op");
        Operation op;
        try {
            op = opNode != null && opNode.isString() ? Operation.fromWire(opNode.stringValue()) : null;
        } catch (IllegalArgumentException e) {
            op = null;
        }
        if (op == null) {
            throw invalidInBatch(i, "UNKNOWN_OPERATION", "op", "needs \"op\": \"put\", \"patch\" or \"delete\"");
        }
        JsonNode keyNode = w.get("key");
        if (keyNode == null
                || keyNode.isNull()
                || (keyNode.isString() && keyNode.stringValue().isEmpty())) {
            throw invalidInBatch(i, Reason.MISSING_KEY.name(), "key", "needs \"key\": the encoded record key");
        }
        if (!keyNode.isString()) {
            throw invalidInBatch(i, Reason.MALFORMED_KEY.name(), "key", "needs \"key\" as a string (the encoded key)");
        }
        RecordKey key;
        try {
            key = RecordKey.parse(keyNode.stringValue());
        } catch (IllegalArgumentException e) {
            throw invalidInBatch(
                    i,
                    Reason.MALFORMED_KEY.name(),
                    "key",
                    "has a malformed key '" + keyNode.stringValue() + "': " + e.getMessage()
                            + "; %-encode each key column (upper-case hex) and join them with ','");
        }
        JsonNode columnsNode = w.get("columns");
        Map<String, JsonNode> columns;
        if (columnsNode == null || columnsNode.isNull()) {
            columns = Map.of();
        } else if (columnsNode instanceof ObjectNode c) {
            columns = columns(c);
        } else {
            throw invalidInBatch(i, "MALFORMED_BATCH", "columns", "needs \"columns\" as a JSON object");
        }
        return new Write(op, table, key, columns);
    }

    private static RequestRefusedException invalidInBatch(int index, String code, String field, String problem) {
        int status = code.equals("MALFORMED_BATCH") ? 400 : 422;
        return new RequestRefusedException(
                status,
                code,
                field,
                index,
                "write " + index + " of the batch " + problem + "; nothing of the batch was written");
    }
}
