/**
 * Cistern's operational exceptions: one root, {@link io.cistern.schema.failure.CisternException}, split into
 * {@link io.cistern.schema.failure.RetryableException} (try again later: nothing was lost) and {@link
 * io.cistern.schema.failure.PermanentException} (the same request will fail again). {@link
 * io.cistern.schema.failure.FailureTranslator} is the one place that classifies Redis errors and SQLSTATEs.
 */
package io.cistern.schema.failure;
