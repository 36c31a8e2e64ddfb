package io.cistern.schema.codec;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON mapper every Cistern component uses for record values: numbers are read as {@code BigInteger}/{@code
 * BigDecimal} (never {@code double}) and decimals keep their scale, so {@code 12345678901234567890} and {@code 1.50}
 * pass through unchanged. Thread-safe.
 */
public final class ExactJson {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ExactJson() {}

    public static JsonMapper mapper() {
        return MAPPER;
    }
}
