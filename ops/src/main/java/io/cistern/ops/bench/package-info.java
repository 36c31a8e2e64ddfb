/**
 * The benchmark harness behind {@code ops/cistern bench}. Each scenario measures Cistern and, in the same run on the
 * same machine, a baseline doing exactly the same work, and reports the ratio: these machines are shared and noisy,
 * so only same-run ratios are comparable.
 */
package io.cistern.ops.bench;
