package io.cistern.schema.failure;

import static io.cistern.schema.failure.RedisFailureKind.BACK_PRESSURE;
import static io.cistern.schema.failure.RedisFailureKind.INTERNAL;
import static io.cistern.schema.failure.RedisFailureKind.NOT_INITIALISED;
import static io.cistern.schema.failure.RedisFailureKind.OUTCOME_UNKNOWN;
import static io.cistern.schema.failure.RedisFailureKind.PERMANENT;
import static io.cistern.schema.failure.RedisFailureKind.RETRYABLE;
import static io.cistern.schema.failure.RedisFailureKind.SERVER_NOT_READY;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per Redis failure the code meets: the kind it is classified as, and the writer's translation agrees. */
class RedisRepliesTest {

    static Stream<Arguments> rows() {
        return Stream.of(
                reply("CISTERN_BACKPRESSURE partition 3 backlog 10001 > 10000", BACK_PRESSURE),
                reply("CISTERN_NOFLOOR partition 3 has no version floor", SERVER_NOT_READY),
                reply("CISTERN_UNCONFIRMED partition 3 not confirmed by this server", SERVER_NOT_READY),
                reply("CISTERN_DELETED source_documents/42 is deleted", PERMANENT),
                reply("CISTERN_UNKNOWN_TABLE nosuch", PERMANENT),
                reply("CISTERN_UNKNOWN_COLUMN filname", PERMANENT),
                reply("CISTERN_CHECK column status of table t is \"lost\"", PERMANENT),
                reply("CISTERN_TOO_LARGE filename 2000000 bytes", PERMANENT),
                reply("CISTERN_BADKEY wrong partition", PERMANENT),
                reply("CISTERN_BADARGS expected 3 keys", PERMANENT),
                reply("OOM command not allowed when used memory > 'maxmemory'.", BACK_PRESSURE),
                reply("LOADING Redis is loading the dataset in memory", SERVER_NOT_READY),
                reply("BUSY Redis is busy running a script.", SERVER_NOT_READY),
                reply(
                        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
                        SERVER_NOT_READY),
                reply("READONLY You can't write against a read only replica.", SERVER_NOT_READY),
                reply("TRYAGAIN Multiple keys request during rehashing of slot", SERVER_NOT_READY),
                reply("CLUSTERDOWN The cluster is down", SERVER_NOT_READY),
                reply("MOVED 3999 127.0.0.1:6381", SERVER_NOT_READY),
                reply("ASK 3999 127.0.0.1:6381", SERVER_NOT_READY),
                reply("NOSCRIPT No matching script. Please use EVAL.", NOT_INITIALISED),
                reply("WRONGTYPE Operation against a key holding the wrong kind of value", PERMANENT),
                reply("NOPERM User cistern has no permissions to run the 'fcall' command", PERMANENT),
                reply("WRONGPASS invalid username-password pair or user is disabled.", PERMANENT),
                reply("ERR Function not found", NOT_INITIALISED),
                reply("ERR unknown command 'FCALL'", PERMANENT),
                reply("ERR a message that mentions Function not found later", PERMANENT),
                row("RedisConnectionException", new RedisConnectionException("Connection refused"), RETRYABLE),
                row(
                        "RedisCommandTimeoutException",
                        new RedisCommandTimeoutException("Command timed out"),
                        OUTCOME_UNKNOWN),
                row("RedisException (connection closed)", new RedisException("Connection closed"), RETRYABLE),
                row("IOException cause", new RedisException("reset", new IOException("Connection reset")), RETRYABLE),
                row(
                        "wrapped in CompletionException",
                        new CompletionException(new RedisCommandExecutionException("READONLY replica")),
                        SERVER_NOT_READY),
                row("not a Redis failure", new IllegalStateException("bug"), INTERNAL));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("rows")
    void classifiesByPrefixOrType(String name, Throwable failure, RedisFailureKind expected) {
        assertThat(RedisReplies.classify(failure).kind()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theWritersTranslationAgreesWithTheKind(String name, Throwable failure, RedisFailureKind expected) {
        assertThat(FailureTranslator.fromRedis("w", failure).retryable()).isEqualTo(expected.retryable());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theReadersTranslationAgreesWithTheKind_andNoReadIsOfUnknownOutcome(
            String name, Throwable failure, RedisFailureKind expected) {
        CisternException e = FailureTranslator.fromRedisRead("r", failure);

        assertThat(e.retryable()).isEqualTo(expected.retryable());
        assertThat(e instanceof RetryableException r && r.outcomeUnknown())
                .as("a read changes nothing")
                .isFalse();
    }

    @org.junit.jupiter.api.Test
    void thePrefixIsTheFirstWordUpperCase_andTheFunctionNotFoundReplyIsRecognisedByItsShapeOnly() {
        assertThat(RedisReplies.prefix("oom out of memory")).isEqualTo("OOM");
        assertThat(RedisReplies.prefix("")).isEmpty();
        assertThat(RedisReplies.kindOfReply("oom out of memory")).isEqualTo(BACK_PRESSURE);
        assertThat(RedisReplies.isFunctionNotFound("ERR Function not found")).isTrue();
        assertThat(RedisReplies.isFunctionNotFound("ERR function not found")).isTrue();
        assertThat(RedisReplies.isFunctionNotFound("ERR Library not found")).isFalse();
        assertThat(RedisReplies.isFunctionNotFound(null)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void aWriteRefusedDuringASlotMigration_isRetryableAndSaysSo() {
        CisternException e = FailureTranslator.fromRedis(
                "put t/1",
                new RedisCommandExecutionException("TRYAGAIN Multiple keys request during rehashing of slot"));

        assertThat(e).isInstanceOf(RetryableException.class);
        assertThat(e.code()).isEqualTo("SLOT_MIGRATING");
        assertThat(e.getMessage())
                .contains("slot is moving between Redis Cluster masters")
                .contains("nothing was applied, retry");
    }

    private static Arguments reply(String reply, RedisFailureKind kind) {
        return row(
                RedisReplies.prefix(reply) + (reply.startsWith("ERR ") ? " " + reply.substring(4) : ""),
                new RedisCommandExecutionException(reply),
                kind);
    }

    @org.junit.jupiter.api.Test
    void isRedirect_isMovedOrAsk_wrappedOrNot_andNothingElse() {
        assertThat(RedisReplies.isRedirect(new RedisCommandExecutionException("MOVED 866 127.0.0.1:7001")))
                .isTrue();
        assertThat(RedisReplies.isRedirect(
                        new CompletionException(new RedisCommandExecutionException("ASK 866 127.0.0.1:7002"))))
                .isTrue();
        assertThat(RedisReplies.isRedirect(new java.util.concurrent.ExecutionException(
                        new RedisCommandExecutionException("MOVED 1 127.0.0.1:7003"))))
                .isTrue();
        assertThat(RedisReplies.isRedirect(new RedisCommandExecutionException("TRYAGAIN Multiple keys request")))
                .isFalse();
        assertThat(RedisReplies.isRedirect(new RedisConnectionException("connection refused")))
                .isFalse();
    }

    @org.junit.jupiter.api.Test
    void isScriptNotCached_isNoscript_wrappedOrNot_andNotAFunctionNotFound() {
        assertThat(RedisReplies.isScriptNotCached(
                        new RedisCommandExecutionException("NOSCRIPT No matching script. Please use EVAL.")))
                .isTrue();
        assertThat(RedisReplies.isScriptNotCached(
                        new CompletionException(new RedisCommandExecutionException("NOSCRIPT No matching script"))))
                .isTrue();
        assertThat(RedisReplies.isScriptNotCached(new RedisCommandExecutionException("ERR Function not found")))
                .isFalse();
        assertThat(RedisReplies.isScriptNotCached(new RedisConnectionException("connection refused")))
                .isFalse();
    }

    private static Arguments row(String name, Throwable failure, RedisFailureKind kind) {
        return Arguments.of(name, failure, kind);
    }
}
