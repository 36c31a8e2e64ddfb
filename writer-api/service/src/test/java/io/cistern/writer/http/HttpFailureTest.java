package io.cistern.writer.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpFailureTest {

    @ParameterizedTest
    @CsvSource({
        "UNKNOWN_TABLE, 404",
        "VALUE_TOO_LARGE, 413",
        "RECORD_DELETED, 409",
        "UNKNOWN_COLUMN, 422",
        "WRONG_TYPE, 422",
        "MISSING_KEY, 422",
        "MALFORMED_KEY, 422",
        "NOT_NULLABLE, 422",
        "EMPTY_PATCH, 422"
    })
    void invalidRecord_mapsToItsStatus_keepingCodeAndField(Reason reason, int status) {
        HttpFailure f = HttpFailure.of(new InvalidRecordException(reason, "t", "c", "why"), "t");

        assertThat(f.status()).isEqualTo(status);
        assertThat(f.code()).isEqualTo(reason.name());
        assertThat(f.field()).isEqualTo("c");
        assertThat(f.toJson().get("field").stringValue()).isEqualTo("c");
        assertThat(f.retryAfter()).isEmpty();
    }

    @Test
    void refusalWithoutTable_takesTheTableOfTheRequest() {
        HttpFailure f =
                HttpFailure.of(new InvalidRecordException(Reason.RECORD_DELETED, null, "key", "deleted"), "docs");

        assertThat(f.table()).isEqualTo("docs");
    }

    @Test
    void retryable_is503_withRetryAfterRoundedUpToWholeSeconds() {
        HttpFailure f =
                HttpFailure.of(new RetryableException("BACKPRESSURE", "full", Duration.ofMillis(1500), null), "t");

        assertThat(f.status()).isEqualTo(503);
        assertThat(f.retryAfter()).hasValue(2);
    }

    @Test
    void retryAfterOfZero_isOneSecond() {
        assertThat(HttpFailure.retryAfterSeconds(Duration.ZERO)).isEqualTo(1);
        assertThat(HttpFailure.retryAfterSeconds(Duration.ofSeconds(3))).isEqualTo(3);
    }

    @Test
    void otherPermanentFailure_is500WithItsCode() {
        HttpFailure f = HttpFailure.of(new PermanentException("NOT_INITIALISED", "run init", null), "t");

        assertThat(f.status()).isEqualTo(500);
        assertThat(f.code()).isEqualTo("NOT_INITIALISED");
    }

    @Test
    void batchRefusal_takesTheIndexTheWriterNamed() {
        InvalidRecordException e =
                new InvalidRecordException(Reason.UNKNOWN_COLUMN, "t", "pages", "write 12 of the batch: no column");

        HttpFailure f = HttpFailure.ofBatchRefusal(e, "t");

        assertThat(f.index()).isEqualTo(12);
        assertThat(f.toJson().get("index").intValue()).isEqualTo(12);
    }

    @Test
    void batchRefusalWithOtherWording_leavesTheIndexOut() {
        InvalidRecordException e = new InvalidRecordException(Reason.UNKNOWN_COLUMN, "t", "pages", "no column");

        HttpFailure f = HttpFailure.ofBatchRefusal(e, "t");

        assertThat(f.index()).isNull();
        assertThat(f.toJson().has("index")).isFalse();
    }
}
