/**
 * Cistern's operational exceptions: one root, {@link io.cistern.schema.failure.CisternException}, split into
 * {@link io.cistern.schema.failure.RetryableException} (try again later: nothing was lost) and {@link
 * io.cistern.schema.failure.PermanentException} (the same request will fail again). {@link
 * io.cistern.schema.failure.RedisReplies} is the one place that classifies Redis failures (by exception type and error
 * prefix, into a {@link io.cistern.schema.failure.RedisFailureKind}); {@link
 * io.cistern.schema.failure.FailureTranslator} turns them into the writer's exceptions, the reader its own.
 */
package io.cistern.schema.failure;
