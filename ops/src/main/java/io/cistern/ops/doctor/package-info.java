/**
 * {@code ops/cistern doctor}: checks what a deployment needs, one line per check with the fix on failure. {@link
 * io.cistern.ops.doctor.CheckReport} is the pure part (results, verdict, rendering); {@link
 * io.cistern.ops.doctor.Doctor} runs the checks against the configured servers.
 */
package io.cistern.ops.doctor;
